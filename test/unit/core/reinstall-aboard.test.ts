/**
 * The one reinstall with VMs aboard (reinstall-evidence.ts): allowed on a failed boot reported now,
 * shared disks and an evacuation that found no room; refused without each of them. And the
 * hand-over that follows a refusal holds: a confirm-off runs the spent rung again only once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ActionResult } from '../../../src/core/action-result.js';
import type { SignatureCode } from '../../../src/core/signature.js';
import { machineHarness } from './machine-harness.js';

const NO_ROOM = { outcome: 'no-room', reason: 'no healthy host has room for any VM of t1; not fencing it' } as const;

/** A host whose /boot is gone, VMs aboard: the evacuation answers `evacuation` twice, then the reboot runs and fails (`after`). */
function bootFailedHost(opts: { shared: boolean; evacuation: ActionResult; after: SignatureCode }) {
  const h = machineHarness('host');
  const facts = { hasVms: true, vmDisksShared: opts.shared };
  h.probes(3, 'host-boot-failed', facts);
  assert.equal(h.ctx.pendingAction?.kind, 'fence-migrate');
  h.done(opts.evacuation);
  assert.equal(h.ctx.pendingAction?.kind, 'fence-migrate');
  h.done(opts.evacuation);
  assert.equal(h.ctx.pendingAction?.kind, 'host-reboot');
  h.done();
  // Past the reboot's 300 s deadline, still broken.
  h.probes(62, opts.after, { ...facts, every: 5 });
  return h;
}

describe('reinstall with VMs aboard', () => {
  test('allowed with a failed boot now, shared disks and no room anywhere', () => {
    const h = bootFailedHost({ shared: true, evacuation: NO_ROOM, after: 'host-boot-failed' });
    assert.deepEqual(h.state, { recovering: 'acting' });
    assert.equal(h.ctx.pendingAction?.kind, 'reinstall');
    assert.equal(h.ctx.evacuated, false);
  });

  test('refused when a disk is not on shared storage', () => {
    const h = bootFailedHost({ shared: false, evacuation: NO_ROOM, after: 'host-boot-failed' });
    assert.equal(h.state, 'awaitingOperator');
    assert.match(h.ctx.reason ?? '', /still carries VMs/);
    assert.ok(!h.requested().some((a) => a.kind === 'reinstall'));
  });

  test('refused when the evacuation did not answer "no room" (it failed otherwise)', () => {
    const h = bootFailedHost({ shared: true, evacuation: { outcome: 'failed', error: 'fence unconfirmed' }, after: 'host-boot-failed' });
    assert.equal(h.state, 'awaitingOperator');
    assert.match(h.ctx.reason ?? '', /still carries VMs/);
  });

  test('refused when the BMC no longer reports a failed boot (the OS may run its guests)', () => {
    const h = bootFailedHost({ shared: true, evacuation: NO_ROOM, after: 'host-unreachable-os-running' });
    assert.equal(h.state, 'awaitingOperator');
    assert.ok(!h.requested().some((a) => a.kind === 'reinstall'));
  });

  test('the no-room memory ends with the incident', () => {
    const h = bootFailedHost({ shared: true, evacuation: NO_ROOM, after: 'host-boot-failed' });
    h.done();
    h.probes(h.policy.recoverAfter, 'ok');
    assert.equal(h.state, 'healthy');
    assert.equal(h.ctx.noRoomForVms, false);
  });
});

describe('a hand-over after a spent rung holds', () => {
  test('a confirm-off runs the failed reboot again once, not on every confirmation', () => {
    const h = bootFailedHost({ shared: false, evacuation: NO_ROOM, after: 'host-boot-failed' });
    assert.equal(h.state, 'awaitingOperator');
    h.send({ type: 'CONFIRM_OFF' });
    assert.equal(h.ctx.pendingAction?.kind, 'host-reboot');
    h.done();
    h.probes(62, 'host-boot-failed', { hasVms: true, vmDisksShared: false });
    assert.equal(h.state, 'awaitingOperator');
    const before = h.requested().length;
    h.send({ type: 'CONFIRM_OFF' });
    assert.equal(h.state, 'awaitingOperator');
    assert.equal(h.requested().length, before);
  });

  test('a confirm-off of an unconfirmed fence still reissues it (not a spent rung)', () => {
    const h = machineHarness('host');
    h.probes(3, 'host-and-bmc-unreachable', { hasVms: true });
    h.done({ outcome: 'blocked', reason: 'BMC unreachable: cannot confirm power off' });
    h.send({ type: 'CONFIRM_OFF' });
    assert.equal(h.ctx.pendingAction?.kind, 'fence-migrate');
    h.done({ outcome: 'blocked', reason: 'BMC unreachable: cannot confirm power off' });
    h.send({ type: 'CONFIRM_OFF' });
    assert.equal(h.ctx.pendingAction?.kind, 'fence-migrate');
    assert.equal(h.ctx.pendingAction?.operatorConfirmedOff, true);
  });
});
