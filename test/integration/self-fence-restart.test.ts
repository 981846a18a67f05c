/**
 * The self-fence wait survives a controller restart (issue 9): the last contact with a silent host
 * is written to the store (SQLite here) once when the silence starts, so a controller killed in the
 * middle of the wait and started again keeps counting from that contact: not from its own start
 * (too late: VMs down longer) and never from an older silence (too early: two copies).
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
import type { Store } from '../../src/store/types.js';
import { cutEnv } from '../chaos/lib/cut-env.js';
import { KillSwitch } from '../chaos/lib/kill-switch.js';

const LEASE_S = 80;

/** Counts Store.setHostLastContact calls, passes everything through. */
function countingLastContact(inner: Store): { store: Store; writes: Array<[string, number | null]> } {
  const writes: Array<[string, number | null]> = [];
  const store = new Proxy(inner, {
    get(target, key, receiver) {
      if (key === 'setHostLastContact') {
        return (name: string, at: number | null) => {
          writes.push([name, at]);
          return target.setHostLastContact(name, at);
        };
      }
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, writes };
}

test('a controller killed during the watchdog wait resumes it from the persisted last contact', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rrc-self-fence-restart-'));
  const url = `file:${join(dir, 'store.db')}`;
  try {
    const hosts = labHosts().map((h) => ({ ...h, watchdog: { kind: 'sanlock' as const, leaseTimeoutSeconds: LEASE_S } }));
    const first = countingLastContact(await openStore(url));
    const life1 = new KillSwitch();
    const rack = await buildSimRack({
      hosts,
      vms: labVms(),
      store: first.store,
      seed: 3,
      policy: { selfFenceAfterSeconds: 60 },
      world: { watchdogSeconds: 60 },
      wrapEnv: (sim) => cutEnv(sim, life1, 'drop'),
    });
    const { clock, world, env, policy } = rack;
    assert.deepEqual((await first.store.getHost('hv1'))?.watchdog, { kind: 'sanlock', leaseTimeoutSeconds: LEASE_S }, 'the watchdog is stored');
    await rack.start();
    for (let s = 0; s < 30; s++) await rack.step();

    applyFaultLine(world, 'host hv1 bmc-dead');
    applyFaultLine(world, 'host hv1 isolate');
    const silentFrom = clock.now();
    for (let s = 0; s < 40; s++) await rack.step();
    assert.equal(rack.controller.targetStatus('host:hv1')?.phase, 'recovering', 'the fence is waiting for the watchdog');
    assert.deepEqual(world.runningCopies('web1'), ['hv1']);
    assert.equal(first.writes.length, 1, `one write for the whole silence, not one per probe: ${JSON.stringify(first.writes)}`);
    const [[name, lastContact]] = first.writes as [[string, number]];
    assert.equal(name, 'hv1');
    assert.ok(lastContact <= silentFrom && lastContact >= silentFrom - DEFAULT_RACK_PROBES.intervalMs - 1000, `last contact ${lastContact} vs silence at ${silentFrom}`);

    // SIGKILL: nothing of the old process acts again; a new one opens the same database.
    life1.kill(clock.now());
    const restartedAt = clock.now();
    await first.store.close();
    const second = countingLastContact(await openStore(url));
    assert.equal((await second.store.getHost('hv1'))?.lastContactAt, lastContact, 'the last contact is in the database');
    const controller = createController({
      env: cutEnv(env, new KillSwitch(), 'drop'),
      store: second.store,
      policy,
      probes: DEFAULT_RACK_PROBES,
      unchangedSinceLastProbe: env.unchangedSinceLastProbe,
    });
    await controller.start();
    let movedAt: number | null = null;
    for (let s = 0; s < 300 && movedAt === null; s++) {
      await clock.advanceBy(1000);
      await controller.idle();
      if (world.runningCopies('web1').includes('spare1')) movedAt = clock.now();
    }
    assert.ok(movedAt !== null, 'web1 moved');
    assert.ok(movedAt >= lastContact + LEASE_S * 1000, `not before the lease ran out since the last contact (${(movedAt - lastContact) / 1000} s)`);
    assert.ok(movedAt < restartedAt + LEASE_S * 1000, `counted from the last contact, not from the restart (${(movedAt - restartedAt) / 1000} s after it)`);
    for (const vm of ['web1', 'db1']) assert.deepEqual(world.runningCopies(vm), ['spare1'], `${vm} runs once`);

    const incidentId = controller.targetStatus('host:hv1')!.incidentId!;
    const timeline = (await second.store.getIncident(incidentId))!.events.map((e) => e.message).join('\n');
    assert.ok(timeline.includes(`since the last contact at ${new Date(lastContact).toISOString()}`), timeline);
    assert.deepEqual(second.writes, [], 'the restarted controller does not write the same silence again');

    // hv1 answers again: the silence is over, cleared once (a later silence never counts from this one).
    applyFaultLine(world, 'host hv1 heal-isolate');
    applyFaultLine(world, 'host hv1 bmc-ok');
    // (It is still booting from its watchdog reset: give it up to 5 minutes.)
    for (let s = 0; s < 300 && controller.targetStatus('host:hv1')?.phase !== 'healthy'; s++) {
      await clock.advanceBy(1000);
      await controller.idle();
    }
    assert.deepEqual(second.writes, [['hv1', null]]);
    assert.equal((await second.store.getHost('hv1'))?.lastContactAt, null);
    await controller.stop();
    await second.store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
