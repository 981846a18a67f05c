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
import { pino } from 'pino';
import { createController } from '../../src/controller/index.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { applyFaultLine, createSimEnv, createWorld, VirtualClock } from '../../src/env/sim/index.js';
import { openStore } from '../../src/store/index.js';
import { labHosts, labVms } from '../helpers/sim-lab.js';

test('a controller restarted mid-recovery resumes the action and closes the incident', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rrc-restart-'));
  const url = `file:${join(dir, 'store.db')}`;
  const clock = new VirtualClock({ start: Date.UTC(2026, 10, 22) });
  const log = pino({ level: 'silent' });
  const world = createWorld({ hosts: labHosts(), vms: labVms(), clock, seed: 3 });
  const env = createSimEnv({ world, clock, log });
  const probes = { intervalMs: 5000, timeoutMs: 3000, concurrency: 8 };
  try {
    let store = await openStore(url);
    for (const h of labHosts()) await store.addHost(h);
    for (const v of labVms()) await store.addVm(v);
    let controller = createController({ env, store, policy: DEFAULT_POLICY, probes });
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
    controller = createController({ env, store, policy: DEFAULT_POLICY, probes });
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
