/**
 * The controller's in-memory copy of the inventory (the store stays the truth): host and VM
 * records by name, the VMs on each host with their summed resources, the probe order, and the
 * placement queries the executor asks.
 */
import { sumResources, type HostSpec, type PlacementCandidate, type VmResources } from '../core/index.js';
import { RrcError } from '../errors.js';
import type { HostRecord, Store, VmRecord } from '../store/types.js';
import type { Inventory } from './executor-types.js';

const NO_NAMES: ReadonlySet<string> = new Set();

/** Host records by name; tells when the set of names changes (probe order). */
class HostMap extends Map<string, HostRecord> {
  constructor(private readonly onKeys: () => void) {
    super();
  }

  override set(name: string, h: HostRecord): this {
    if (!this.has(name)) this.onKeys?.();
    return super.set(name, h);
  }

  override delete(name: string): boolean {
    if (this.has(name)) this.onKeys();
    return super.delete(name);
  }
}

/**
 * VM records by name, with an index of the VMs on each host and their summed resources (vmsOn
 * and the placement candidates were scans of every VM: 10,000 hosts x 100,000 VMs).
 */
class VmMap extends Map<string, VmRecord> {
  /** Bumped when a VM is added, removed or changes host. */
  placements = 0;
  private readonly byHost = new Map<string, Set<string>>();
  private readonly used = new Map<string, VmResources>();

  constructor(private readonly onKeys: () => void) {
    super();
  }

  override set(name: string, vm: VmRecord): this {
    const old = this.get(name);
    if (old === undefined) this.onKeys?.();
    else this.unindex(name, old);
    if (old?.currentHost !== vm.currentHost) this.placements++;
    let set = this.byHost.get(vm.currentHost);
    if (!set) this.byHost.set(vm.currentHost, (set = new Set()));
    set.add(name);
    const u = this.used.get(vm.currentHost) ?? { cores: 0, ramGb: 0, diskGb: 0 };
    this.used.set(vm.currentHost, sumResources([u, vm.resources]));
    return super.set(name, vm);
  }

  override delete(name: string): boolean {
    const old = this.get(name);
    if (old === undefined) return false;
    this.onKeys();
    this.placements++;
    this.unindex(name, old);
    return super.delete(name);
  }

  private unindex(name: string, old: VmRecord): void {
    this.byHost.get(old.currentHost)?.delete(name);
    const u = this.used.get(old.currentHost);
    if (u) {
      const r = old.resources;
      this.used.set(old.currentHost, { cores: u.cores - r.cores, ramGb: u.ramGb - r.ramGb, diskGb: u.diskGb - r.diskGb });
    }
  }

  /** Names of the VMs on `host` (live view: do not keep). */
  namesOn(host: string): ReadonlySet<string> {
    return this.byHost.get(host) ?? NO_NAMES;
  }

  countOn(host: string): number {
    return this.byHost.get(host)?.size ?? 0;
  }

  /** A fresh copy: placement reserves on the object it is given. */
  usedOn(host: string): VmResources {
    const u = this.used.get(host);
    return u ? { ...u } : { cores: 0, ramGb: 0, diskGb: 0 };
  }

  on(host: string): VmRecord[] {
    const out: VmRecord[] = [];
    for (const name of this.byHost.get(host) ?? []) out.push(this.get(name)!);
    return out;
  }
}

export class InventoryIndex {
  readonly hosts = new HostMap(() => {
    this.hostOrder = null;
    this.hostKeyChanges++;
  });
  private hostKeyChanges = 0;
  readonly vms = new VmMap(() => (this.vmOrder = null));
  /** Probe order, rebuilt when a host / VM is added or removed. */
  private hostOrder: string[] | null = null;
  private vmOrder: string[] | null = null;

  /**
   * Changes when a host or a VM is added or removed or a VM changes host: what decides which
   * host a VM's probe goes through.
   */
  placementVersion(): number {
    return this.hostKeyChanges + this.vms.placements;
  }

  sortedHostNames(): string[] {
    return (this.hostOrder ??= [...this.hosts.keys()].sort());
  }

  sortedVmNames(): string[] {
    return (this.vmOrder ??= [...this.vms.keys()].sort());
  }

  /** The host record; throws RRC_ERR_NOT_FOUND. */
  requireHost(name: string): HostRecord {
    const h = this.hosts.get(name);
    if (!h) throw new RrcError('RRC_ERR_NOT_FOUND', `host ${name}`);
    return h;
  }

  /** The VM record; throws RRC_ERR_NOT_FOUND. */
  requireVm(name: string): VmRecord {
    const v = this.vms.get(name);
    if (!v) throw new RrcError('RRC_ERR_NOT_FOUND', `vm ${name}`);
    return v;
  }

  vmsOn(hostName: string): VmRecord[] {
    return this.vms.on(hostName);
  }

  /**
   * Every host but `excludeHost`, sorted by name (the cached probe order), with its load kept up to
   * date by the VM index; `usable` says which may receive a VM now.
   */
  placementCandidates(excludeHost: string, usable: (hostName: string) => boolean): PlacementCandidate[] {
    const out: PlacementCandidate[] = [];
    for (const name of this.sortedHostNames()) {
      const h = this.hosts.get(name);
      if (!h || name === excludeHost) continue;
      out.push({ host: h as HostSpec, usable: usable(name), used: this.vms.usedOn(name) });
    }
    return out;
  }
}

export interface ExecutorInventoryDeps {
  index: InventoryIndex;
  store: Store;
  /** Registers a store write made from inside an action, so that idle() waits for it. */
  track: <T>(write: Promise<T>) => Promise<T>;
  /** The host may receive a VM now (healthy and its last probe healthy). */
  usable: (hostName: string) => boolean;
  silentSince: (hostName: string) => number | null;
}

/** The executor's view: reads from the index, writes through the store first (intent first). */
export function executorInventory(deps: ExecutorInventoryDeps): Inventory {
  const { index, store, track } = deps;
  return {
    host: (name) => index.hosts.get(name),
    vm: (name) => index.vms.get(name),
    vmsOn: (name) => index.vmsOn(name),
    placementCandidates: (exclude) => index.placementCandidates(exclude, deps.usable),
    moveVm: async (vmName, toHost) => {
      const updated = await track(store.updateVm(vmName, { currentHost: toHost }));
      index.vms.set(vmName, updated);
    },
    hostSilentSince: (hostName) => deps.silentSince(hostName),
    markHostFenced: async (hostName) => {
      const updated = await track(store.updateHost(hostName, { state: 'fenced' }));
      index.hosts.set(hostName, updated);
    },
  };
}
