/**
 * Stale-copy removal is an action like the ladder's: when something is stale (or the check
 * fails) it is stored under a deterministic id with its outcome and error, written to the
 * incident's timeline, and reported as 'action-done'; a host with nothing stale leaves no trace.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TargetId } from '../../../src/core/index.js';
import { applyFaultLine } from '../../../src/env/sim/index.js';
import { ActionLocks } from '../../../src/controller/action-locks.js';
import { ControllerEvents, type ControllerEvent } from '../../../src/controller/controller-events.js';
import { ActionExecutor } from '../../../src/controller/executor.js';
import { executorInventory, InventoryIndex } from '../../../src/controller/inventory.js';
import { IncidentRecorder } from '../../../src/controller/recorder.js';
import { SideWrites } from '../../../src/controller/side-writes.js';
import { StaleCopyRemoval } from '../../../src/controller/stale-copies.js';
import { buildSimRack, labHosts, labVms, silentLogger } from '../../../src/sim-rack/index.js';
import { drive } from '../env/sim-fixture.js';

const HV1 = 'host:hv1' as TargetId;
const INCIDENT = 'host:hv1#1';

/** A rack where web1 now lives on spare1 (as after an evacuation) while hv1 still runs its old copy. */
async function rig() {
  const rack = await buildSimRack({ hosts: labHosts(), vms: labVms(), start: 0 });
  const index = new InventoryIndex();
  for (const h of await rack.store.listHosts()) index.hosts.set(h.name, h);
  for (const v of await rack.store.listVms()) index.vms.set(v.name, v);
  index.vms.set('web1', { ...index.vms.get('web1')!, currentHost: 'spare1' });
  const sideWrites = new SideWrites();
  const events = new ControllerEvents();
  const seen: ControllerEvent[] = [];
  events.on((e) => seen.push(e));
  const inventory = executorInventory({ index, store: rack.store, track: (w) => sideWrites.track(w), usable: () => true, silentSince: () => null });
  const executor = new ActionExecutor({ env: rack.env, policy: rack.policy, inventory });
  const recorder = new IncidentRecorder(rack.store, silentLogger);
  const removal = new StaleCopyRemoval({ env: rack.env, executor, recorder, events, sideWrites, locks: new ActionLocks(), fencingToken: () => 7 });
  await rack.store.createIncident({
    id: INCIDENT,
    targetId: HV1,
    targetKind: 'host',
    targetName: 'hv1',
    detectedAt: 0,
    signature: 'host-unreachable',
    signatureSummary: 'test',
    entryRung: 4,
    currentRung: 1,
    state: 'recovering',
    resolvedAt: null,
    recoverySeconds: null,
    note: null,
  });
  const run = async (incidentId: string | null): Promise<void> => {
    await drive(rack.clock, () => removal.afterHostHealthy(HV1, index.requireHost('hv1'), incidentId));
    await Promise.all(sideWrites.inFlight());
  };
  return { rack, seen, run };
}

test('a stale copy is removed and recorded as an action of the incident', async () => {
  const { rack, seen, run } = await rig();
  assert.deepEqual(rack.world.runningCopies('web1'), ['hv1']);
  await run(INCIDENT);
  assert.deepEqual(rack.world.runningCopies('web1'), [], 'the old copy is stopped');
  assert.equal(rack.world.host('hv1').domains.has('web1'), false, 'and its definition removed');
  assert.equal(rack.world.host('hv1').domains.has('db1'), true, 'a VM that lives on hv1 is left alone');

  const detail = await rack.store.getIncident(INCIDENT);
  assert.deepEqual(
    detail!.actions.map((a) => [a.id, a.kind, a.outcome, a.error, a.fencingToken]),
    [[`${INCIDENT}/stale-copies`, 'remove-stale-copies', 'ok', null, 7]],
  );
  const messages = detail!.events.map((e) => `${e.kind}: ${e.message}`);
  assert.ok(messages.includes('stale-copy: removed stale copy of web1 (it lives on spare1)'), messages.join('\n'));
  assert.ok(messages.some((m) => m.startsWith('action-end: remove-stale-copies ok')), messages.join('\n'));

  const done = seen.flatMap((e) => (e.type === 'action-done' ? [[e.targetId, e.action.id, e.action.kind, e.result]] : []));
  assert.deepEqual(done, [[HV1, `${INCIDENT}/stale-copies`, 'remove-stale-copies', { outcome: 'ok' }]]);
});

test('nothing stale: no action, no event, no timeline line', async () => {
  const { rack, seen, run } = await rig();
  await run(INCIDENT);
  seen.length = 0;
  const before = (await rack.store.getIncident(INCIDENT))!.events.length;
  await run(INCIDENT); // web1's copy is gone now
  assert.deepEqual(seen, []);
  assert.equal((await rack.store.getIncident(INCIDENT))!.events.length, before);
});

test('a check that fails is recorded as a failed action with its error', async () => {
  const { rack, seen, run } = await rig();
  applyFaultLine(rack.world, 'hypervisor hv1 crash');
  await run(INCIDENT);
  const [action] = (await rack.store.getIncident(INCIDENT))!.actions;
  assert.equal(action?.outcome, 'failed');
  assert.match(action?.error ?? '', /could not check hv1 for stale VM copies: .*libvirt/);
  const done = seen.find((e) => e.type === 'action-done');
  assert.equal(done?.type === 'action-done' && done.result.outcome, 'failed');
  assert.deepEqual(rack.world.runningCopies('web1'), ['hv1'], 'nothing was removed');
});

test('without an incident the removal still happens and is reported, but not stored', async () => {
  const { rack, seen, run } = await rig();
  await run(null);
  assert.deepEqual(rack.world.runningCopies('web1'), []);
  assert.equal((await rack.store.getIncident(INCIDENT))!.actions.length, 0);
  const done = seen.find((e) => e.type === 'action-done');
  assert.equal(done?.type === 'action-done' && done.action.id, 'host:hv1/stale-copies');
});
