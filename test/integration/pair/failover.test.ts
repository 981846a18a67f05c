/**
 * A controller pair on the real PostgreSQL server (RRC_TEST_PG_URL or the local "test" database;
 * a missing server fails these tests): the leader killed during a recovery, and the leader paused
 * past its lease then resumed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFaultLine } from '../../../src/env/sim/index.js';
import type { Store } from '../../../src/store/types.js';
import { buildPair } from './pair-lib.js';
import { Pause, pausedEnv, pausedStore } from './pause.js';

const ENDED = new Set(['resolved', 'awaiting-operator', 'quarantined', 'cancelled']);

test('leader killed during a recovery: the standby leads within 15 s and finishes it, the timeline whole', async () => {
  const pair = await buildPair();
  const { rack, a, b, killA, observer } = pair;
  try {
    await a.controller.start();
    await b.controller.start();
    assert.equal(a.leadership.isLeader, true);
    assert.equal(b.leadership.isLeader, false);
    for (let s = 0; s < 20; s++) await pair.step();
    assert.equal(b.leadership.isLeader, false, 'the standby stays a standby while the leader renews');

    applyFaultLine(rack.world, 'host hv1 hang');
    // Kill the leader once its recovery action is on its way.
    let actionSeen = false;
    for (let s = 0; s < 240 && !actionSeen; s++) {
      await pair.step();
      actionSeen = (await observer.listActions({ limit: 1 })).length > 0;
    }
    assert.ok(actionSeen, 'the leader started a recovery action');
    const killedAt = rack.clock.now();
    killA.kill(killedAt);
    const epochA = a.leadership.epoch!;

    let ledAt: number | null = null;
    for (let s = 0; s < 30 && ledAt === null; s++) {
      await pair.step();
      if (b.leadership.isLeader) ledAt = rack.clock.now();
    }
    assert.ok(ledAt !== null, 'the standby took the lease');
    assert.ok(ledAt - killedAt <= 15_000, `standby led ${(ledAt - killedAt) / 1000} s after the kill`);
    assert.equal(b.leadership.epoch, epochA + 1);

    let ended = false;
    for (let s = 0; s < 1800 && !ended; s++) {
      await pair.step();
      const incidents = await observer.listIncidents();
      ended = incidents.length > 0 && incidents.every((i) => ENDED.has(i.state));
    }
    assert.ok(ended, 'every incident ended under the new leader');
    await assertTimelinesWhole(observer, epochA, epochA + 1);
  } finally {
    await pair.close();
  }
});

/** Every action ended and carries a leader's epoch; each incident's timeline runs from detection to its end. */
async function assertTimelinesWhole(store: Store, ...epochs: number[]): Promise<void> {
  const incidents = await store.listIncidents();
  assert.ok(incidents.some((i) => i.targetId === 'host:hv1'), 'the incident of hv1 is there');
  for (const i of incidents) {
    const detail = (await store.getIncident(i.id))!;
    assert.ok(detail.events.length > 0, `${i.id} has a timeline`);
    for (const act of detail.actions) {
      assert.notEqual(act.finishedAt, null, `${act.id} ended`);
      assert.ok(epochs.includes(act.fencingToken ?? -1), `${act.id} carries a leader's epoch (${act.fencingToken})`);
    }
    if (i.state === 'resolved') assert.ok(i.resolvedAt !== null && i.resolvedAt >= i.detectedAt, `${i.id} resolved after detection`);
  }
}

test('leader paused past its lease: the standby takes over at epoch + 1; resumed, its first action write is refused and it steps down', async () => {
  const pause = new Pause();
  let pauseAtNextAction = false;
  const pair = await buildPair({
    // SIGSTOP just before the leader sends an action: that write is held until it continues.
    wrapStoreA: (s) =>
      pausedStore(s, pause, (method) => {
        if (pauseAtNextAction && method === 'upsertAction') {
          pauseAtNextAction = false;
          pause.pause();
        }
      }),
    wrapEnvA: (e) => pausedEnv(e, pause),
    waitA: (idle) => Promise.race([idle, pause.stopped()]),
  });
  const { rack, a, b, observer } = pair;
  const refused: string[] = [];
  const unsubscribe = a.leadership.onChange((leading, reason) => {
    if (!leading) refused.push(reason);
  });
  try {
    await a.controller.start();
    await b.controller.start();
    for (let s = 0; s < 20; s++) await pair.step();
    const epochA = a.leadership.epoch!;

    pauseAtNextAction = true;
    applyFaultLine(rack.world, 'host hv1 hang');
    for (let s = 0; s < 240 && !pause.isPaused; s++) await pair.step();
    assert.ok(pause.isPaused, 'the leader was paused as it was about to write an action');

    for (let s = 0; s < 30 && !b.leadership.isLeader; s++) await pair.step();
    assert.equal(b.leadership.isLeader, true, 'the standby took over while the leader was paused');
    assert.equal(b.leadership.epoch, epochA + 1);
    assert.equal(a.leadership.isLeader, true, 'the paused leader does not know yet');

    await pause.resume();
    await pair.step();
    assert.equal(a.leadership.isLeader, false, 'the old leader stepped down');
    assert.equal(refused.length, 1);
    assert.match(refused[0]!, /stale leader epoch.*action .*epoch 1.*epoch 2/);
    assert.equal((await observer.getLease('default'))?.holder, 'ctl-b');
    const stale = (await observer.listActions()).filter((act) => act.fencingToken === epochA && act.startedAt >= rack.clock.now() - 60_000);
    assert.deepEqual(stale, [], 'nothing of the old leader was written after the takeover');

    let ended = false;
    for (let s = 0; s < 1800 && !ended; s++) {
      await pair.step();
      const incidents = await observer.listIncidents();
      ended = incidents.length > 0 && incidents.every((i) => ENDED.has(i.state));
    }
    assert.ok(ended, 'the new leader finished the recovery');
    await assertTimelinesWhole(observer, epochA + 1);
  } finally {
    unsubscribe();
    if (pause.isPaused) await pause.resume();
    await pair.close();
  }
});
