/** The bench's statistics, pinned on hand-checked values. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apportion, histogram, mean, normalPdf, percentile, round, sd, shareBelow, summarize } from '../../../bench/stats.js';

test('mean and sample standard deviation', () => {
  assert.equal(mean([]), 0);
  assert.equal(mean([2, 4, 4, 4, 5, 5, 7, 9]), 5);
  // Sample sd (n - 1) of the classic example: population sd is 2, sample sd sqrt(32 / 7).
  assert.equal(round(sd([2, 4, 4, 4, 5, 5, 7, 9]), 6), round(Math.sqrt(32 / 7), 6));
  assert.equal(sd([42]), 0);
  assert.equal(sd([]), 0);
  // Two-pass: no catastrophic cancellation around a large offset.
  assert.equal(round(sd([1e9 + 1, 1e9 + 2, 1e9 + 3]), 9), 1);
});

test('percentiles are nearest-rank: always a measured sample', () => {
  const xs = [15, 20, 35, 40, 50];
  assert.equal(percentile(xs, 30), 20);
  assert.equal(percentile(xs, 40), 20);
  assert.equal(percentile(xs, 50), 35);
  assert.equal(percentile(xs, 100), 50);
  assert.equal(percentile(xs, 0), 15);
  assert.equal(percentile([], 50), 0);
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // unsorted on purpose
  assert.equal(percentile(hundred, 50), 50);
  assert.equal(percentile(hundred, 95), 95);
  assert.equal(percentile(hundred, 99), 99);
  assert.equal(percentile([7], 99), 7);
});

test('summarize rounds and orders its fields like the JSON contract', () => {
  const s = summarize([3, 1, 2, 10]);
  assert.deepEqual(Object.keys(s), ['n', 'mean', 'sd', 'p50', 'p95', 'p99', 'max']);
  assert.deepEqual(s, { n: 4, mean: 4, sd: round(Math.sqrt(50 / 3), 2), p50: 2, p95: 10, p99: 10, max: 10 });
  assert.deepEqual(summarize([]), { n: 0, mean: 0, sd: 0, p50: 0, p95: 0, p99: 0, max: 0 });
});

test('share below a limit is strict', () => {
  assert.equal(shareBelow([100, 599.99, 600, 700], 600), 0.5);
  assert.equal(shareBelow([], 600), 0);
});

test('histogram bins from 0, the last bin takes the overflow', () => {
  assert.deepEqual(histogram([0, 9.99, 10, 25, 31, 999], 10, 4), [2, 1, 1, 2]);
  assert.deepEqual(histogram([-5], 10, 2), [1, 0]);
});

test('normal density: peak and symmetry', () => {
  assert.equal(round(normalPdf(181, 181, 10), 6), round(1 / (10 * Math.sqrt(2 * Math.PI)), 6));
  assert.equal(normalPdf(171, 181, 10), normalPdf(191, 181, 10));
});

test('apportion gives exact totals by largest remainder, ties to the first listed', () => {
  const a = apportion([['a', 1], ['b', 1], ['c', 1]] as const, 10);
  assert.deepEqual([...a.values()], [4, 3, 3]);
  const b = apportion([['x', 10], ['y', 6], ['z', 4]] as const, 7);
  assert.deepEqual(Object.fromEntries(b), { x: 4, y: 2, z: 1 });
  assert.equal([...apportion([['x', 2], ['y', 0]] as const, 5).values()].reduce((s, n) => s + n, 0), 5);
  assert.deepEqual([...apportion([['x', 0]] as const, 5).values()], [0]);
});
