/**
 * Heartbeats and the pair view on the memory store and a virtual clock: leader and standby both
 * write their rows at the renewal period; the leader's view lists the standby as fresh, and a
 * stopped standby turns stale after three renewal periods without a beat; the URL is reported.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ControllerHeartbeat } from '../../../src/controller/heartbeat.js';
import { Leadership } from '../../../src/controller/leadership.js';
import { FRESH_RENEWALS, pairView, readPairView } from '../../../src/controller/pair-view.js';
import { VirtualClock } from '../../../src/env/sim/index.js';
import { silentLogger } from '../../../src/sim-rack/index.js';
import { MemoryStore } from '../../../src/store/index.js';

const T0 = Date.UTC(2026, 10, 22);

function setup() {
  const clock = new VirtualClock({ start: T0 });
  const store = new MemoryStore({ now: () => clock.now() });
  const member = (holder: string, rank: number) => {
    const leadership = new Leadership({ store, clock, log: silentLogger, holder, rank });
    return { leadership, heartbeat: new ControllerHeartbeat({ store, clock, log: silentLogger, leadership }) };
  };
  const run = async (seconds: number, ...ms: Array<ReturnType<typeof member>>) => {
    for (let s = 0; s < seconds; s++) {
      await clock.advanceBy(1000);
      await Promise.all(ms.flatMap((m) => [m.leadership.settled(), m.heartbeat.settled()]));
    }
  };
  return { clock, store, member, run };
}

test('the leader lists a live standby, then the stopped standby turns stale after three renewals', async () => {
  const { clock, store, member, run } = setup();
  const a = member('ctl-a', 2);
  const b = member('ctl-b', 1);
  await a.leadership.start();
  await a.heartbeat.start();
  await a.heartbeat.setApiUrl('http://127.0.0.1:7070');
  await b.leadership.start();
  await b.heartbeat.start();
  await b.heartbeat.setApiUrl('http://127.0.0.1:7071');
  await run(10, a, b);

  const live = await readPairView(store, clock.now());
  assert.equal(live.leader, 'ctl-a');
  assert.equal(live.epoch, 1);
  assert.equal(live.leaderUrl, 'http://127.0.0.1:7070');
  assert.equal(live.standbys.length, 1);
  const [standby] = live.standbys;
  assert.deepEqual({ ...standby, lastSeenAt: undefined }, {
    controller: 'ctl-b', rank: 1, role: 'standby', apiUrl: 'http://127.0.0.1:7071', lastSeenAt: undefined, epochSeen: 1, fresh: true,
  });
  assert.ok(clock.now() - standby!.lastSeenAt <= a.leadership.renewEveryMs, 'the standby beats every renewal period');

  await b.heartbeat.stop();
  await b.leadership.stop();
  const stoppedAt = clock.now();
  await run((FRESH_RENEWALS * a.leadership.renewEveryMs) / 1000 + 2, a);
  const later = await readPairView(store, clock.now());
  assert.equal(later.leader, 'ctl-a');
  assert.equal(later.standbys[0]?.controller, 'ctl-b');
  assert.equal(later.standbys[0]?.fresh, false, 'stale once three renewal periods pass without a beat');
  assert.ok(later.standbys[0]!.lastSeenAt <= stoppedAt);

  await a.heartbeat.stop();
  await a.leadership.stop();
});

test('pairView: no live lease means no leader, and every row is listed with its belief', () => {
  const rows = [
    { cluster: 'default', controller: 'ctl-a', rank: 2, role: 'leader' as const, apiUrl: 'http://a', lastSeenAt: T0, epochSeen: 3 },
    { cluster: 'default', controller: 'ctl-b', rank: 1, role: 'standby' as const, apiUrl: null, lastSeenAt: T0 + 8_000, epochSeen: 3 },
  ];
  const lease = { name: 'default', holder: 'ctl-a', epoch: 3, expiresAt: T0 + 9_000, rank: 2 };
  const held = pairView(lease, rows, T0 + 8_500, 3_000);
  assert.deepEqual([held.leader, held.leaderUrl, held.standbys.map((m) => [m.controller, m.fresh])], ['ctl-a', 'http://a', [['ctl-b', true]]]);
  const lapsed = pairView(lease, rows, T0 + 10_000, 3_000);
  assert.equal(lapsed.leader, null);
  assert.equal(lapsed.leaderUrl, null);
  assert.deepEqual(lapsed.standbys.map((m) => [m.controller, m.role, m.fresh]), [['ctl-a', 'leader', false], ['ctl-b', 'standby', true]]);
});
