/** The executor's contract with the controller: its inventory view and the timeline it writes. */
import type { PlacementCandidate } from '../core/placement.js';
import type { DomainState } from '../core/signature.js';
import type { HostSpec, VmSpec } from '../core/types.js';

/** What the executor needs to know about and change in the inventory. */
export interface Inventory {
  host(name: string): HostSpec | undefined;
  vm(name: string): VmSpec | undefined;
  vmsOn(hostName: string): VmSpec[];
  /** Hosts a VM may be placed on now, with their current load. */
  placementCandidates(excludeHost: string): PlacementCandidate[];
  /** Records the VM's new host in the store before it is started there (intent first). */
  moveVm(vmName: string, toHost: string): Promise<void>;
  markHostFenced(hostName: string): Promise<void>;
  /** Virtual/wall time of the first probe that found the host unreachable; null while it answers. */
  hostSilentSince(hostName: string): number | null;
}

/** A domain found on a host although its VM now lives on another host. */
export interface StaleCopy {
  vm: VmSpec;
  state: DomainState;
}

export type Timeline = (kind: string, message: string, data?: Record<string, unknown>) => void;
