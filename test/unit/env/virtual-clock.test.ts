import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createActor, createMachine } from 'xstate';
import { VirtualClock, sleep } from '../../../src/env/sim/virtual-clock.js';

test('fires in (time, insertion) order and sets now to each timer time', async () => {
  const clock = new VirtualClock({ start: 1000 });
  const seen: string[] = [];
  const at = (label: string) => () => seen.push(`${label}@${clock.now()}`);
  clock.setTimeout(at('c'), 30);
  clock.setTimeout(at('a'), 10);
  clock.setTimeout(at('b1'), 20);
  clock.setTimeout(at('b2'), 20);
  clock.setTimeout(at('late'), 100);
  await clock.advanceBy(50);
  assert.deepEqual(seen, ['a@1010', 'b1@1020', 'b2@1020', 'c@1030']);
  assert.equal(clock.now(), 1050);
  assert.equal(clock.pending, 1);
  assert.equal(clock.timersFired, 4);
});

test('past, zero and NaN delays fire at now, after the timers already due', async () => {
  const clock = new VirtualClock();
  const seen: string[] = [];
  clock.setTimeout(() => {
    seen.push(`first@${clock.now()}`);
    clock.setTimeout(() => seen.push(`past@${clock.now()}`), -500);
    clock.setTimeout(() => seen.push(`nan@${clock.now()}`), Number.NaN);
  }, 10);
  clock.setTimeout(() => seen.push(`second@${clock.now()}`), 10);
  await clock.advanceTo(10);
  assert.deepEqual(seen, ['first@10', 'second@10', 'past@10', 'nan@10']);
});

test('clearTimeout cancels, and clearing twice, a fired handle or a foreign value is harmless', async () => {
  const clock = new VirtualClock();
  let fired = 0;
  const keep = clock.setTimeout(() => fired++, 5);
  const drop = clock.setTimeout(() => fired += 100, 5);
  clock.clearTimeout(drop);
  clock.clearTimeout(drop);
  clock.clearTimeout(undefined);
  clock.clearTimeout(42);
  assert.equal(clock.pending, 1);
  await clock.advanceBy(10);
  clock.clearTimeout(keep);
  assert.equal(fired, 1);
  assert.equal(clock.pending, 0);
  assert.equal(await clock.runUntilIdle({ maxTime: 100 }), true);
});

test('100k pending timers: cheap to schedule, cancel half, and fire in order', async () => {
  const clock = new VirtualClock();
  const n = 100_000;
  let last = -1;
  let ordered = true;
  let fired = 0;
  const handles: unknown[] = [];
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    // Pseudo-random times with many ties, to exercise the (time, seq) order.
    const time = (i * 7919) % 1000;
    handles.push(
      clock.setTimeout(() => {
        if (clock.now() < last) ordered = false;
        last = clock.now();
        fired++;
      }, time),
    );
  }
  for (let i = 0; i < n; i += 2) clock.clearTimeout(handles[i]);
  assert.equal(clock.pending, n / 2);
  assert.ok(performance.now() - started < 2000, 'scheduling 100k timers took over 2 s');
  assert.equal(await clock.runUntilIdle({ maxTime: 10_000 }), true);
  assert.equal(fired, n / 2);
  assert.ok(ordered);
  assert.equal(clock.timersFired, n / 2);
});

/** A controller making two driver calls in a row, noting the virtual time after each in `trace`. */
async function controllerTwoCalls(clock: VirtualClock, driverCall: () => Promise<void>, trace: string[]): Promise<void> {
  await driverCall();
  trace.push(`after-call@${clock.now()}`);
  await driverCall();
  trace.push(`after-second@${clock.now()}`);
}

test('await chains settle between timers, before virtual time moves on', async () => {
  const clock = new VirtualClock();
  const trace: string[] = [];
  // A driver call resolved by a timer, followed by several awaits and a further sleep.
  async function driverCall(): Promise<void> {
    await sleep(clock, 100);
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    await Promise.resolve();
  }
  void controllerTwoCalls(clock, driverCall, trace);
  clock.setTimeout(() => trace.push(`other@${clock.now()}`), 150);
  await clock.advanceBy(1000);
  assert.deepEqual(trace, ['after-call@100', 'other@150', 'after-second@200']);
});

test('microtasks settle: long promise chains (no immediates) finish between timers', async () => {
  const clock = new VirtualClock({ settle: 'microtasks' });
  const trace: string[] = [];
  // Promise-only driver work, as in the bench: many awaits after each timer, then a further sleep.
  async function driverCall(): Promise<void> {
    await sleep(clock, 100);
    for (let i = 0; i < 200; i++) await Promise.resolve(i);
  }
  void controllerTwoCalls(clock, driverCall, trace);
  // Scheduled at the same instant the first call resumes: it fires after that chain has run.
  clock.setTimeout(() => trace.push(`same-instant@${clock.now()}`), 100);
  clock.setTimeout(() => trace.push(`other@${clock.now()}`), 150);
  await clock.advanceBy(1000);
  assert.deepEqual(trace, ['after-call@100', 'same-instant@100', 'other@150', 'after-second@200']);
});

test('runUntil stops when the predicate holds, or at maxTime', async () => {
  const clock = new VirtualClock();
  let ticks = 0;
  const tick = (): void => {
    ticks++;
    clock.setTimeout(tick, 1000);
  };
  clock.setTimeout(tick, 1000);
  assert.equal(await clock.runUntil(() => ticks === 5), true);
  assert.equal(clock.now(), 5000);
  assert.equal(await clock.runUntil(() => ticks === 100, { maxTime: 8500 }), false);
  assert.equal(clock.now(), 8500);
  assert.equal(ticks, 8);
  // A periodic timer never lets the clock go idle.
  assert.equal(await clock.runUntilIdle({ maxTime: 20_000 }), false);
  assert.equal(clock.now(), 20_000);
  await assert.rejects(clock.advanceTo(10), RangeError);
});

test('two drivers at once are refused', async () => {
  const clock = new VirtualClock();
  clock.setTimeout(() => {}, 10);
  const first = clock.advanceBy(100);
  await assert.rejects(clock.advanceBy(100), /already advancing/);
  await first;
});

test('works as an XState clock: after timers run in virtual time', async () => {
  const clock = new VirtualClock();
  const machine = createMachine({
    initial: 'waiting',
    states: { waiting: { after: { 30000: 'done' } }, done: { type: 'final' } },
  });
  const actor = createActor(machine, { clock }).start();
  await clock.advanceBy(29_999);
  assert.equal(actor.getSnapshot().value, 'waiting');
  await clock.advanceBy(1);
  assert.equal(actor.getSnapshot().value, 'done');
});
