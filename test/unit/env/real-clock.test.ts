import assert from 'node:assert/strict';
import { test } from 'node:test';
import { realClock } from '../../../src/env/real/clock.js';

test('the real clock reads Date.now and runs Node timers, which it can cancel', async () => {
  const before = Date.now();
  assert.ok(realClock.now() >= before && realClock.now() <= Date.now());
  let cancelledRan = false;
  const handle = realClock.setTimeout(() => (cancelledRan = true), 5);
  realClock.clearTimeout(handle);
  await new Promise<void>((resolve) => realClock.setTimeout(resolve, 20));
  assert.equal(cancelledRan, false);
});
