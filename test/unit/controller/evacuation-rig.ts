/**
 * The executor on the simulated lab rack (hv1, hv2, spare1; web1 and db1 on hv1, ce1 and ui1 on
 * hv2), without the controller around it: for tests of fence-migrate and vm-move outcomes.
 */
import type { PendingAction } from '../../../src/core/context.js';
import type { DeepPartial, HostSpec, Policy } from '../../../src/core/index.js';
import type { ActionResult } from '../../../src/core/action-result.js';
import { ActionExecutor } from '../../../src/controller/executor.js';
import { executorInventory, InventoryIndex } from '../../../src/controller/inventory.js';
import { buildSimRack, labHosts, labVms, type SimRack } from '../../../src/sim-rack/index.js';
import { drive } from '../env/sim-fixture.js';

export interface EvacuationRig {
  rack: SimRack;
  index: InventoryIndex;
  /** The incident timeline, `kind: message`. */
  timeline: string[];
  /** Runs one attempt of `kind` on `target` to its end on the virtual clock. */
  run(kind: PendingAction['kind'], target: string): Promise<ActionResult>;
}

export interface EvacuationRigOptions {
  hosts?: HostSpec[];
  policy?: DeepPartial<Policy>;
  world?: { watchdogSeconds?: number };
  /** Executor's view of when each host fell silent; default: never. */
  silentSince?: (host: string) => number | null;
}

export async function evacuationRig(opts: EvacuationRigOptions = {}): Promise<EvacuationRig> {
  const rack = await buildSimRack({ hosts: opts.hosts ?? labHosts(), vms: labVms(), start: 0, policy: opts.policy, world: opts.world });
  const index = new InventoryIndex();
  for (const h of await rack.store.listHosts()) index.hosts.set(h.name, h);
  for (const v of await rack.store.listVms()) index.vms.set(v.name, v);
  const inventory = executorInventory({ index, store: rack.store, track: (w) => w, usable: () => true, silentSince: opts.silentSince ?? (() => null) });
  const executor = new ActionExecutor({ env: rack.env, policy: rack.policy, inventory });
  const timeline: string[] = [];
  let seq = 0;
  const run = (kind: PendingAction['kind'], target: string): Promise<ActionResult> => {
    const rung = kind === 'fence-migrate' || kind === 'vm-move' ? 4 : 1;
    const action: PendingAction = { id: `t#1/${++seq}-r${rung}`, incidentId: 't#1', rung, kind, attempt: 1, issuedAt: rack.clock.now(), operatorConfirmedOff: false };
    return drive(rack.clock, () => executor.execute(action, target, (k, m) => void timeline.push(`${k}: ${m}`)));
  };
  return { rack, index, timeline, run };
}
