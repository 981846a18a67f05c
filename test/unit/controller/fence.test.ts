/** fenceHost on the simulated rack: `giveUp` ends the wait for a BMC that will not confirm. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fenceHost } from '../../../src/controller/fence.js';
import { isRrcError } from '../../../src/errors.js';
import { applyFaultLine } from '../../../src/env/sim/index.js';
import { drive, makeRig } from '../env/sim-fixture.js';

const OPTS = { confirmTimeoutMs: 30_000, pollMs: 2_000 };

async function fenceTime(giveUp?: () => boolean): Promise<{ seconds: number; error: unknown }> {
  const rig = makeRig();
  applyFaultLine(rig.world, 'host h1 bmc-dead');
  const start = rig.clock.now();
  let error: unknown = null;
  await drive(rig.clock, () => fenceHost(rig.env.power, rig.host('h1'), rig.clock, { ...OPTS, ...(giveUp ? { giveUp } : {}) }).catch((e: unknown) => void (error = e)));
  return { seconds: (rig.clock.now() - start) / 1000, error };
}

test('a dead BMC: unconfirmed after the confirm timeout, or as soon as giveUp says so', async () => {
  const full = await fenceTime();
  assert.ok(isRrcError(full.error, 'RRC_ERR_FENCE_UNCONFIRMED'));
  // It stops when the next read (pollMs later) would fall past the 30 s deadline: within one poll of it.
  assert.ok(full.seconds >= 30 - OPTS.pollMs / 1000, `waited ${full.seconds} s`);
  const early = await fenceTime(() => true);
  assert.ok(isRrcError(early.error, 'RRC_ERR_FENCE_UNCONFIRMED'), 'giving up is never a confirmation');
  assert.ok(early.seconds <= 17, `gave up after ${early.seconds} s (the first status read, one off command and one status read, 5 s each)`);
});

test('giveUp does not stand in the way of a BMC that confirms', async () => {
  const rig = makeRig();
  const r = await drive(rig.clock, () => fenceHost(rig.env.power, rig.host('h1'), rig.clock, { ...OPTS, giveUp: () => true }));
  assert.equal(rig.world.host('h1').power, 'off');
  assert.equal(r.offAttempts, 1);
});
