/** The real clock: wall time at start, advanced monotonically (src/env/real/clock.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRealClock, realClock } from '../../../src/env/real/clock.js';

/** Sources a test moves by hand: a wall clock that can be stepped, a monotonic one that only advances. */
function handSources(wall: number) {
  const s = { wall, mono: 1_000.25 };
  return { s, sources: { wallNow: () => s.wall, monotonicNow: () => s.mono } };
}

test('now() starts at the wall time and follows the monotonic source, not later wall steps', () => {
  const { s, sources } = handSources(1_700_000_000_000);
  const clock = createRealClock(sources);
  assert.equal(clock.now(), 1_700_000_000_000, 'comparable with wall times in the store');
  s.mono += 60_000.6;
  assert.equal(clock.now(), 1_700_000_060_000, 'whole milliseconds');
  // NTP (or a person) steps the wall clock back an hour: a 5 min deadline must not become 65 min.
  s.wall -= 3_600_000;
  const deadline = clock.now() + 300_000;
  s.mono += 300_000;
  assert.ok(clock.now() >= deadline, 'the deadline passes after 300 s of monotonic time');
  // ...and forward an hour: a watchdog wait must not end early.
  s.wall += 7_200_000;
  const waitEnds = clock.now() + 60_000;
  s.mono += 59_999;
  assert.ok(clock.now() < waitEnds, 'a wall step forward does not shorten a wait');
});

test('the process clock is close to Date.now and runs Node timers, which it can cancel', async () => {
  // Anchored at load, whole ms: close to Date.now, read between two Date.now calls. The margin is
  // wide because a loaded machine can deschedule the process between reads, and the wall clock
  // may be slewed while the monotonic one is not; a wrong anchor would be off by far more.
  const before = Date.now();
  const now = realClock.now();
  const after = Date.now();
  assert.ok(now >= before - 250 && now <= after + 250, `${now} not within [${before}, ${after}] +- 250 ms`);
  const a = realClock.now();
  const b = realClock.now();
  assert.ok(b >= a, 'never goes back');
  let cancelledRan = false;
  const handle = realClock.setTimeout(() => (cancelledRan = true), 5);
  realClock.clearTimeout(handle);
  await new Promise<void>((resolve) => realClock.setTimeout(resolve, 20));
  assert.equal(cancelledRan, false);
});
