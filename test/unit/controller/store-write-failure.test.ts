/**
 * A failed store write never wedges a target (issue 9: one failed write at the start of an action
 * left a target "recovering" for 20 minutes). The write is retried with backoff on the env clock,
 * counted in health(), and an action whose start cannot be recorded does not run half-dispatched.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TargetId } from '../../../src/core/index.js';
import { applyFaultLine } from '../../../src/env/sim/index.js';
import { RrcError } from '../../../src/errors.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { buildSimRack, labHosts, labVms, silentLogger, type SimRack } from '../../../src/sim-rack/index.js';

const WEB1 = 'vm:web1' as TargetId;

/** A memory store whose `upsertAction` fails while `failing()` says so. */
async function storeFailingActions(failing: () => boolean): Promise<Store> {
  const inner = await openStore('memory:');
  return new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (key !== 'upsertAction') return method.bind(target);
      return async (...args: unknown[]) => {
        if (failing()) throw new RrcError('RRC_ERR_STORE', 'connection reset by peer');
        return method.apply(target, args);
      };
    },
  });
}

async function withRack(store: Store, fn: (rack: SimRack) => Promise<void>): Promise<void> {
  const rack = await buildSimRack({ hosts: labHosts(), vms: labVms(), store, log: silentLogger });
  await rack.start();
  try {
    await rack.runFor(20);
    await fn(rack);
  } finally {
    await rack.stop();
    await store.close();
  }
}

test('a failed store write at the start of an action: retried, the target recovers within its rung timeout', async () => {
  let failures = 1;
  const store = await storeFailingActions(() => failures-- > 0);
  await withRack(store, async (rack) => {
    applyFaultLine(rack.world, 'vm web1 panic');
    const t0 = rack.clock.now();
    const healthy = await rack.runUntil(
      () => rack.events.some((e) => e.type === 'phase' && e.targetId === WEB1 && e.to === 'healthy'),
      180 + 60,
    );
    assert.ok(healthy, 'web1 healthy again');
    assert.ok(rack.clock.now() - t0 <= 240_000);
    const done = rack.events.filter((e) => e.type === 'action-done' && e.targetId === WEB1);
    assert.deepEqual(done.map((e) => (e.type === 'action-done' ? e.result.outcome : '')), ['ok'], 'one attempt, run once its start was recorded');
    const actions = await rack.store.listActions({});
    assert.equal(actions.filter((a) => a.targetId === WEB1).length, 1, 'the action is in the store');
    const health = await rack.controller.health();
    assert.equal(health.storeWriteFailures, 1);
    assert.equal(health.storeWritesAbandoned, 0);
    assert.match(health.lastStoreError?.what ?? '', /^start of vm:web1#1\//);
    assert.match(health.lastStoreError?.error ?? '', /connection reset by peer/);
  });
});

test('a store that keeps failing: the action is not run unrecorded, the machine is told, the target is not left recovering', async () => {
  const store = await storeFailingActions(() => true);
  await withRack(store, async (rack) => {
    applyFaultLine(rack.world, 'vm web1 panic');
    const settled = await rack.runUntil(
      () => rack.events.some((e) => e.type === 'action-done' && e.targetId === WEB1) && rack.controller.targetStatus(WEB1)?.phase !== 'recovering',
      600,
    );
    assert.ok(settled, `web1 left recovering (now ${rack.controller.targetStatus(WEB1)?.phase})`);
    const first = rack.events.find((e) => e.type === 'action-done' && e.targetId === WEB1);
    assert.ok(first?.type === 'action-done' && first.result.outcome === 'failed');
    assert.match(first.result.outcome === 'failed' ? first.result.error : '', /not started: its start could not be recorded/);
    const all = rack.events.filter((e) => e.type === 'action-done' && e.targetId === WEB1);
    assert.ok(all.every((e) => e.type === 'action-done' && e.result.outcome === 'failed'), 'no action ran unrecorded');
    assert.equal(rack.world.domain('hv1', 'web1')?.state, 'crashed', 'the domain was never touched');
    const health = await rack.controller.health();
    assert.ok(health.storeWriteFailures >= 5, `failures counted: ${health.storeWriteFailures}`);
    assert.ok(health.storeWritesAbandoned >= 1);
  });
});
