/** The retry schedule of a webhook delivery: exponential, capped, jittered downwards, bounded in count. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { retryDelayMs, retryDelays } from '../../../src/notify/backoff.js';
import type { RetrySchedule } from '../../../src/notify/types.js';

const schedule: RetrySchedule = { maxAttempts: 6, initialSeconds: 2, maxSeconds: 30, factor: 2, jitter: 0.2 };

describe('webhook retry backoff', () => {
  test('doubles from the initial delay up to the cap, then stops after maxAttempts', () => {
    assert.deepEqual(retryDelays(schedule), [2000, 4000, 8000, 16000, 30000]);
    assert.equal(retryDelayMs(6, schedule, () => 0), null);
    assert.equal(retryDelayMs(1, { ...schedule, maxAttempts: 1 }), null);
  });

  test('jitter takes up to its share away, never adds', () => {
    assert.equal(retryDelayMs(3, schedule, () => 0), 8000);
    assert.equal(retryDelayMs(3, schedule, () => 0.5), 7200);
    assert.equal(retryDelayMs(3, schedule, () => 0.999999), 6400);
    for (let a = 1; a < schedule.maxAttempts; a++) {
      const d = retryDelayMs(a, schedule, Math.random) as number;
      const full = retryDelays(schedule)[a - 1] as number;
      assert.ok(d <= full && d >= full * 0.8, `attempt ${a}: ${d} within [${full * 0.8}, ${full}]`);
    }
  });
});
