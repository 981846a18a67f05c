/** forEachLimited: items in order, at most `limit` in flight, skipped items cost no wait. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachLimited } from '../../../src/env/timing.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('forEachLimited starts items in order with at most `limit` in flight', async () => {
  const started: number[] = [];
  const waits = new Map<number, ReturnType<typeof deferred>>();
  let inFlight = 0;
  let most = 0;
  const run = forEachLimited([0, 1, 2, 3, 4, 5, 6], 3, (i) => {
    started.push(i);
    if (i % 2 === 1) return null; // skipped synchronously
    const d = deferred();
    waits.set(i, d);
    inFlight++;
    most = Math.max(most, inFlight);
    return d.promise.then(() => void inFlight--);
  });
  await Promise.resolve();
  // Three lanes: 0, then 1 skipped and 2, then 3 skipped and 4; nothing more until one ends.
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  waits.get(2)!.resolve();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6]);
  for (const i of [0, 4, 6]) waits.get(i)!.resolve();
  await run;
  assert.equal(most, 3);
});

test('forEachLimited over items all skipped, or none, resolves', async () => {
  const seen: number[] = [];
  await forEachLimited([1, 2, 3], 32, (i) => (seen.push(i), null));
  await forEachLimited([], 4, () => null);
  assert.deepEqual(seen, [1, 2, 3]);
});
