/**
 * A controller killed in the middle of a recovery loses nothing: the machine state, the incident and
 * the action in flight are in the store, and the next controller resumes the action (idempotently)
 * and finishes the recovery.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createController } from '../../src/controller/index.js';
import { applyFaultLine } from '../../src/env/sim/index.js';
import { buildSimRack, DEFAULT_RACK_PROBES, labHosts, labVms } from '../../src/sim-rack/index.js';
import { openStore } from '../../src/store/index.js';

test('a controller restarted mid-recovery resumes the action and closes the incident', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rrc-restart-'));
  const url = `file:${join(dir, 'store.db')}`;
  try {
    let store = await openStore(url);
    const rack = await buildSimRack({ hosts: labHosts(), vms: labVms(), store, seed: 3 });
    const { clock, world, env, policy } = rack;
    let controller = rack.controller;
    await controller.start();
    const step = async () => {
      await clock.advanceBy(1000);
      await controller.idle();
    };
    for (let s = 0; s < 30; s++) await step();

    applyFaultLine(world, 'host hv1 hang');
    for (let s = 0; s < 120 && controller.targetStatus('host:hv1')?.phase !== 'recovering'; s++) await step();
    assert.equal(controller.targetStatus('host:hv1')?.phase, 'recovering');
    const incidentId = controller.targetStatus('host:hv1')!.incidentId!;
    const [running] = await store.listActions({ incidentId });
    assert.equal(running?.outcome, null, 'the action is in flight when the controller dies');

    // "kill": stop without letting the action finish; a new process opens the same store.
    await controller.stop();
    await store.close();
    store = await openStore(url);
    controller = createController({ env, store, policy, probes: DEFAULT_RACK_PROBES });
    await controller.start();
    assert.equal(controller.targetStatus('host:hv1')?.phase, 'recovering', 'machine state restored from the store');
    assert.equal(controller.targetStatus('host:hv1')?.incidentId, incidentId);

    for (let s = 0; s < 900 && controller.targetStatus('host:hv1')?.phase !== 'healthy'; s++) await step();
    assert.equal(controller.targetStatus('host:hv1')?.phase, 'healthy');
    const detail = await store.getIncident(incidentId);
    assert.equal(detail!.state, 'resolved');
    assert.match(detail!.events.map((e) => e.message).join('\n'), /resumed after a controller restart/);
    for (const vm of ['web1', 'db1']) assert.deepEqual(world.runningCopies(vm), ['spare1'], `${vm} runs once`);
    assert.equal((await store.listIncidents({ open: true })).length, 0, 'no incident left open');
    await controller.stop();
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
