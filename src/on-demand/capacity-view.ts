/**
 * The rack as placement sees it: each host's totals from its hypervisor (cores, RAM: nodeInfo)
 * and the inventory (disk), what is allocated there (inventory VMs, plus requests placed there
 * whose VM is not in the inventory yet), and whether it may lend or absorb (healthy, primary,
 * not in maintenance). A hypervisor that does not answer in time lends nothing and absorbs nothing.
 */
import { targetId } from '../core/types.js';
import type { Clock, HypervisorDriver, NodeInfo } from '../env/env.js';
import type { HostRecord, RequestRecord, Store, VmRecord } from '../store/types.js';
import { holdsCapacity } from './lifecycle.js';
import type { PlacementHost, Resources } from './placement.js';
import type { LendingController } from './service-deps.js';

const NODE_INFO_TIMEOUT_MS = 5_000;

function withTimeout<T>(p: Promise<T>, clock: Clock, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
    p.then(
      (v) => {
        clock.clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clock.clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

const zero = (): Resources => ({ cores: 0, ramGb: 0, diskGb: 0 });
const add = (a: Resources, b: Resources): Resources => ({ cores: a.cores + b.cores, ramGb: a.ramGb + b.ramGb, diskGb: a.diskGb + b.diskGb });

export async function capacityView(deps: {
  store: Store;
  controller: LendingController;
  hypervisor: HypervisorDriver;
  clock: Clock;
}): Promise<PlacementHost[]> {
  const { store, controller, hypervisor, clock } = deps;
  const [hosts, vms, requests] = await Promise.all([store.listHosts(), store.listVms(), store.listRequests({ open: true })]);
  const allocated = allocations(hosts, vms, requests);
  // A host lent out whole (--physical) neither receives VMs nor counts as room for recovery.
  const lentTo = new Map(requests.filter((r) => r.kind === 'physical' && r.host !== null && holdsCapacity(r.state)).map((r) => [r.host as string, r.id]));
  return Promise.all(
    hosts.map(async (h): Promise<PlacementHost> => {
      const status = controller.targetStatus(targetId('host', h.name));
      const phase = status?.phase ?? 'unknown';
      let info: NodeInfo | null = null;
      let infoError = '';
      try {
        info = await withTimeout(hypervisor.nodeInfo(h), clock, NODE_INFO_TIMEOUT_MS, `hypervisor of ${h.name}`);
      } catch (e) {
        infoError = e instanceof Error ? e.message : String(e);
      }
      const lent = lentTo.get(h.name);
      const healthy = lent === undefined && info !== null && phase === 'healthy' && h.state === 'active';
      const whyNot =
        lent !== undefined ? `lent out whole (request ${lent})` : info === null ? `hypervisor: ${infoError}` : phase !== 'healthy' ? phase : h.state !== 'active' ? h.state : h.role !== 'primary' ? 'spare (kept for recovery)' : undefined;
      const total: Resources = info
        ? { cores: info.cores, ramGb: info.memoryMb / 1024, diskGb: h.capacity.diskTb * 1024 }
        : { cores: 0, ramGb: 0, diskGb: 0 };
      const out: PlacementHost = { name: h.name, total, allocated: allocated.get(h.name) ?? zero(), lendable: whyNot === undefined, healthy };
      if (whyNot !== undefined) out.whyNot = whyNot;
      return out;
    }),
  );
}

/** Per host: its inventory VMs, and the placed requests whose VM is not in the inventory (yet, or any more). */
export function allocations(hosts: readonly HostRecord[], vms: readonly VmRecord[], requests: readonly RequestRecord[]): Map<string, Resources> {
  const out = new Map<string, Resources>(hosts.map((h) => [h.name, zero()]));
  const inInventory = new Set(vms.map((v) => v.name));
  for (const v of vms) out.set(v.currentHost, add(out.get(v.currentHost) ?? zero(), v.resources));
  for (const r of requests) {
    if (r.kind === 'physical' || r.host === null || !holdsCapacity(r.state) || (r.vmName !== null && inInventory.has(r.vmName))) continue;
    out.set(r.host, add(out.get(r.host) ?? zero(), { cores: r.cores, ramGb: r.ramGb, diskGb: r.diskGb }));
  }
  return out;
}
