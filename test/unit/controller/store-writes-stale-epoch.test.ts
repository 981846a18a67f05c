/** A write refused for a stale leader epoch is not retried: the controller no longer leads. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreWrites } from '../../../src/controller/store-writes.js';
import { RrcError } from '../../../src/errors.js';
import { VirtualClock } from '../../../src/env/sim/virtual-clock.js';
import { silentLogger } from '../../../src/sim-rack/index.js';

test('a stale-epoch refusal is given up at once; any other failure is retried with backoff', () => {
  const writes = new StoreWrites(new VirtualClock(), silentLogger);
  assert.equal(writes.failed('host:hv1', 'end of an action', new RrcError('RRC_ERR_STALE_EPOCH', 'written at epoch 1, the lease is at epoch 2'), 1), null);
  assert.equal(writes.health.storeWritesAbandoned, 1);
  assert.equal(writes.failed('host:hv1', 'end of an action', new RrcError('RRC_ERR_STORE', 'connection lost'), 1), 1000);
  assert.equal(writes.health.storeWriteFailures, 2);
});
