/**
 * Where does a VM run right now? Before a VM is started on a new host, every other hypervisor that
 * answers is asked for its domains (issue 9: never a VM on two hosts): the store's record can be
 * stale (a move interrupted by a controller crash, a person who started it by hand, autostart).
 * Domains are matched by UUID, by name only when the hypervisor gave no UUID.
 */
import type { DomainState } from '../core/signature.js';
import type { HostSpec, VmSpec } from '../core/types.js';
import type { DomainInfo, Env } from '../env/env.js';
import { forEachLimited, withTimeout } from '../env/timing.js';

/** A live copy of a VM seen on a host. */
export interface Sighting {
  host: string;
  state: DomainState;
}

export interface RackListing {
  /** Host name -> its domains; hosts that did not answer in time are absent. */
  domains: Map<string, DomainInfo[]>;
  /** Hosts that did not answer: a copy there cannot be ruled out. */
  silent: string[];
}

export interface LocatorOptions {
  /** Hypervisors asked at the same time. */
  concurrency: number;
  /** Per host: a silent hypervisor costs this much, not the driver's own connect timeout. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export const DEFAULT_LOCATOR_OPTIONS: Omit<LocatorOptions, 'signal'> = { concurrency: 4, timeoutMs: 15_000 };

/** Lists the domains of every host in `hosts` (bounded concurrency, each call bounded in time). */
export async function listRack(env: Env, hosts: readonly HostSpec[], opts: LocatorOptions): Promise<RackListing> {
  const domains = new Map<string, DomainInfo[]>();
  const silent: string[] = [];
  await forEachLimited(hosts, Math.max(1, opts.concurrency), async (host) => {
    try {
      const call = env.hypervisor.listDomains(host, { signal: opts.signal });
      domains.set(host.name, await withTimeout(env.clock, call, opts.timeoutMs, `domains of ${host.name}`));
    } catch {
      opts.signal?.throwIfAborted();
      silent.push(host.name);
    }
  });
  silent.sort();
  return { domains, silent };
}

/** The hosts of `listing` where `vm` is live (running or paused), sorted by host name. */
export function liveCopies(listing: RackListing, vm: VmSpec): Sighting[] {
  const out: Sighting[] = [];
  for (const [host, list] of listing.domains) {
    const d = list.find((x) => (x.uuid ? x.uuid === vm.uuid : x.name === vm.name));
    if (d && (d.state === 'running' || d.state === 'paused')) out.push({ host, state: d.state });
  }
  return out.sort((a, b) => a.host.localeCompare(b.host));
}
