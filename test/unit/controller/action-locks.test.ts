/**
 * One action per target (issue 9): the locks themselves, and an operator command refused while
 * the ladder's action runs on the same target (the same locks, taken in one place).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TargetId } from '../../../src/core/index.js';
import { ActionLocks } from '../../../src/controller/action-locks.js';
import { applyFaultLine } from '../../../src/env/sim/index.js';
import { isRrcError } from '../../../src/errors.js';
import { buildSimRack, labHosts, labVms, silentLogger } from '../../../src/sim-rack/index.js';

const HV1 = 'host:hv1' as TargetId;
const WEB1 = 'vm:web1' as TargetId;

test('a held key refuses a second holder, naming the running action; all keys or none', () => {
  const locks = new ActionLocks();
  const fence = locks.acquire([HV1, WEB1], 'fence-migrate host:hv1#1/1-r4');
  assert.throws(
    () => locks.acquire([WEB1], 'operator alice: vm move'),
    (e: unknown) => isRrcError(e, 'RRC_ERR_INVALID_STATE') && /vm:web1 is busy with fence-migrate host:hv1#1\/1-r4/.test(e.message),
  );
  const other = 'vm:db1' as TargetId;
  const partial = locks.tryAcquire([other, HV1], 'vm-restart');
  assert.equal(partial.ok, false);
  assert.equal(locks.holderOf(other), null, 'nothing taken when one key is held');
  fence.release();
  fence.release(); // idempotent
  assert.equal(locks.holderOf(HV1), null);
  assert.equal(locks.tryAcquire([WEB1], 'vm move').ok, true);
});

test('whenReleased runs once the key is free, at once when it is free already', async () => {
  const locks = new ActionLocks();
  const woke: string[] = [];
  locks.whenReleased(HV1, () => woke.push('free'));
  assert.deepEqual(woke, ['free']);
  const lease = locks.acquire([HV1], 'reboot');
  locks.whenReleased(HV1, () => woke.push('after reboot'));
  assert.deepEqual(woke, ['free']);
  lease.release();
  assert.deepEqual(woke, ['free', 'after reboot']);
  await assert.rejects(
    locks.with([HV1], 'a', () => locks.with([HV1], 'b', async () => 1)),
    (e: unknown) => isRrcError(e, 'RRC_ERR_INVALID_STATE'),
  );
  assert.equal(locks.holderOf(HV1), null, 'with() releases on error');
});

test('an operator command on a target whose recovery action runs is refused; after it ends it is accepted', async () => {
  // Every libvirt call takes 5 s: the ladder's vm-restart is still running a second after it started.
  const rack = await buildSimRack({ hosts: labHosts(), vms: labVms(), log: silentLogger, simEnv: { latency: { libvirtLatencySeconds: 5 } } });
  await rack.start();
  try {
    await rack.runFor(20);
    // A panicked guest: vm-restart (destroy + start) is the ladder's action.
    applyFaultLine(rack.world, 'vm web1 panic');
    const running = await rack.runUntil(() => rack.events.some((e) => e.type === 'emitted' && e.targetId === WEB1 && e.event.type === 'action.requested'), 60);
    assert.ok(running, 'the ladder asked for an action on web1');
    await assert.rejects(
      rack.controller.vmPower('web1', 'restart', 'alice'),
      (e: unknown) => isRrcError(e, 'RRC_ERR_INVALID_STATE') && /vm:web1 is busy with vm-restart/.test(e.message),
    );
    const done = await rack.runUntil(() => rack.events.some((e) => e.type === 'action-done' && e.targetId === WEB1), 300);
    assert.ok(done, 'the ladder action ended');
    await rack.controller.idle();
    const accepted = rack.controller.vmPower('web1', 'restart', 'alice');
    await rack.runFor(15); // the command's own libvirt calls run on the virtual clock
    assert.deepEqual(await accepted, { vm: 'web1', host: 'hv1' });
  } finally {
    await rack.stop();
  }
});
