/** The leader lease on the memory store and a virtual clock: terms, ranks, step-down, fences. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Leadership } from '../../../src/controller/leadership.js';
import { RrcError } from '../../../src/errors.js';
import { VirtualClock } from '../../../src/env/sim/index.js';
import { silentLogger } from '../../../src/sim-rack/index.js';
import { MemoryStore } from '../../../src/store/index.js';
import { fencedStore } from '../../../src/store/fenced-store.js';

const T0 = Date.UTC(2026, 10, 22);

function setup() {
  const clock = new VirtualClock({ start: T0 });
  const store = new MemoryStore({ now: () => clock.now() });
  const make = (holder: string, rank = 0) => new Leadership({ store, clock, log: silentLogger, holder, rank });
  const run = async (seconds: number, ...ls: Leadership[]) => {
    for (let s = 0; s < seconds; s++) {
      await clock.advanceBy(1000);
      await Promise.all(ls.map((l) => l.settled()));
    }
  };
  return { clock, store, make, run };
}

test('the first takes the lease at epoch 1 and keeps it by renewing; the other stays a standby', async () => {
  const { make, run, store } = setup();
  const a = make('a');
  const b = make('b');
  await a.start();
  await b.start();
  await run(60, a, b);
  assert.deepEqual([a.isLeader, a.epoch, b.isLeader], [true, 1, false]);
  assert.deepEqual(b.status(), { leader: false, epoch: 1, holder: 'a', self: 'b', rank: 0 });
  assert.equal((await store.getLease('default'))?.holder, 'a');
  await a.stop();
  await b.stop();
});

test('a leader whose renewals stop is replaced after its lease, at epoch + 1; the higher rank goes first', async () => {
  const { make, run, clock } = setup();
  const a = make('a');
  await a.start();
  const low = make('low', 0);
  const high = make('high', 3);
  await low.start();
  await high.start();
  const stoppedAt = clock.now();
  await a.stop(); // releases: the lease is free now
  await run(1, low, high);
  assert.deepEqual([high.isLeader, high.epoch, low.isLeader], [true, 2, false]);
  await high.stop();
  await low.stop();
  assert.ok(clock.now() - stoppedAt <= 2000);
});

test('a leader whose renewals do not come back stops leading by itself at its expiry', async () => {
  const { clock, store, run } = setup();
  const a = new Leadership({ store: hangingRenewals(store), clock, log: silentLogger, holder: 'a' });
  const changes: string[] = [];
  a.onChange((leading, reason) => changes.push(`${leading} ${reason}`));
  await a.start();
  await run(8);
  assert.equal(a.isLeader, true, 'still inside its lease');
  await run(2);
  assert.deepEqual(changes, ['true lease taken', 'false lease expired before its renewal landed']);
  await a.stop();
});

test('step-down hands the lease to the standby; the one who stepped down waits before taking it back', async () => {
  const { make, run } = setup();
  const a = make('a', 3);
  const b = make('b', 0);
  await a.start();
  await b.start();
  await a.stepDown();
  assert.equal(a.isLeader, false);
  await run(4, a, b);
  assert.deepEqual([b.isLeader, b.epoch, a.isLeader], [true, 2, false]);
  await run(30, a, b);
  assert.equal(a.isLeader, false, 'b renews: a stays a standby');
  await a.stop();
  await b.stop();
});

test('the store refuses a write fenced with an older epoch, and the fenced store reports it', async () => {
  const { make, run, store, clock } = setup();
  // a's renewals hang, as if it were paused: its lease runs out.
  const a = new Leadership({ store: hangingRenewals(store), clock, log: silentLogger, holder: 'a' });
  await a.start();
  const staleReports: string[] = [];
  const aStore = fencedStore(store, () => a.fence(), (e) => staleReports.push(e.code));
  const rec = { targetId: 'host:h1' as const, phase: 'healthy' as const, rung: null, maintenance: false, snapshot: null, updatedAt: clock.now() };
  await aStore.saveTargetState(rec);
  await run(20);
  const b = make('b');
  await b.start();
  assert.deepEqual([b.isLeader, b.epoch], [true, 2]);
  await assert.rejects(aStore.saveTargetState(rec), (e: unknown) => e instanceof RrcError && e.code === 'RRC_ERR_STALE_EPOCH');
  assert.deepEqual(staleReports, ['RRC_ERR_STALE_EPOCH']);
  const bStore = fencedStore(store, () => b.fence(), () => assert.fail('b is the leader'));
  await bStore.saveTargetState(rec);
  await a.stop();
  await b.stop();
});

test('exclusive (SQLite): a second controller refuses to start while the lease is held', async () => {
  const { store, clock } = setup();
  const a = new Leadership({ store, clock, log: silentLogger, holder: 'a', exclusive: true });
  const b = new Leadership({ store, clock, log: silentLogger, holder: 'b', exclusive: true });
  await a.start();
  await assert.rejects(b.start(), /another controller \(a\) runs on this SQLite database/);
  await a.stop();
  await b.start();
  assert.equal(b.isLeader, true);
  await b.stop();
});

/** The store, with every lease renewal hanging (a paused or cut-off leader). */
function hangingRenewals(store: MemoryStore): MemoryStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'renewLease') return () => new Promise<boolean>(() => undefined);
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
