/**
 * What the controller does at every probe that reaches a host's hypervisor, before the probe is
 * fed to the host's machine (issue 9, never a VM on two hosts):
 *   1. a host that is not settled healthy (it comes back) loses its stale copies first: domains of
 *      VMs recorded on another host are destroyed and undefined (stale-copies.ts);
 *   2. after the probe was fed, autostart drift is corrected: one call lists the host's autostart domains; each managed VM
 *      among them is switched off (libvirt would start it again at the next boot of the host).
 * Drift correction is not a destructive action (the domain keeps running); it is logged at warn.
 */
import type { TargetId } from '../core/types.js';
import type { Env } from '../env/env.js';
import { withTimeout } from '../env/timing.js';
import { errorText } from '../errors.js';
import type { HostRecord } from '../store/types.js';
import type { InventoryIndex } from './inventory.js';
import type { StaleCopyRemoval } from './stale-copies.js';

export interface HostContactDeps {
  env: Pick<Env, 'clock' | 'hypervisor' | 'log'>;
  index: InventoryIndex;
  staleCopies: Pick<StaleCopyRemoval, 'atFirstContact'>;
  /** Bound on the autostart listing and on each switch. */
  callTimeoutMs: number;
}

/** 'clean': feed the probe; 'failed': stale copies remain, the probe counts as bad; 'busy': do not feed it. */
export type ContactOutcome = 'clean' | 'failed' | 'busy';

export class HostContact {
  constructor(private readonly deps: HostContactDeps) {}

  /** Stale copies of a host that comes back: to be settled before its probe is fed. */
  async beforeFeed(hostId: TargetId, host: HostRecord, comingBack: boolean, incidentId: string | null): Promise<ContactOutcome> {
    return comingBack ? this.deps.staleCopies.atFirstContact(hostId, host, incidentId) : 'clean';
  }

  /** Never throws: a failed listing or switch is logged and tried again at the next probe. */
  async correctAutostart(hostId: TargetId, host: HostRecord): Promise<string[]> {
    const { env, index, callTimeoutMs } = this.deps;
    let uuids: string[];
    try {
      uuids = await withTimeout(env.clock, env.hypervisor.autostartDomains(host), callTimeoutMs, `autostart list of ${host.name}`);
    } catch (e) {
      env.log.warn({ target: hostId, error: errorText(e) }, `could not list the autostart domains of ${host.name}`);
      return [];
    }
    if (uuids.length === 0) return [];
    const wanted = new Set(uuids.map((u) => u.toLowerCase()));
    const corrected: string[] = [];
    for (const vm of index.vms.values()) {
      if (!wanted.has(vm.uuid.toLowerCase())) continue;
      try {
        await withTimeout(env.clock, env.hypervisor.setAutostart(host, vm, false), callTimeoutMs, `autostart off for ${vm.name}`);
        corrected.push(vm.name);
        env.log.warn({ target: hostId, vm: vm.name, drift: 'autostart' }, `autostart of ${vm.name} on ${host.name} was on: switched off (drift corrected)`);
      } catch (e) {
        env.log.warn({ target: hostId, vm: vm.name, error: errorText(e) }, `could not switch autostart off for ${vm.name} on ${host.name}`);
      }
    }
    return corrected;
  }
}
