/**
 * The one reinstall with VMs aboard (reinstall-evidence.ts): allowed on a failed boot reported now,
 * shared disks and an evacuation that found no room; refused without each of them. And the
 * hand-over that follows a refusal holds: a confirm-off runs the spent rung again only once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ActionResult } from '../../../src/core/action-result.js';
import type { SignatureCode } from '../../../src/core/signature.js';
import { initialContext } from '../../../src/core/context.js';
import { mayReinstallWithVmsAboard, reinstallUnjustified } from '../../../src/core/escalation/reinstall-evidence.js';
import { RUNG } from '../../../src/core/rungs.js';
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
  test('allowed with a failed boot, shared disks and no room anywhere: straight to it, no reboot first', () => {
    const h = machineHarness('host');
    h.probes(3, 'host-boot-failed', { hasVms: true, vmDisksShared: true });
    assert.equal(h.ctx.pendingAction?.kind, 'fence-migrate');
    h.done(NO_ROOM);
    assert.deepEqual(h.state, { recovering: 'acting' });
    assert.equal(h.ctx.pendingAction?.kind, 'reinstall');
    assert.equal(h.ctx.evacuated, false);
    assert.deepEqual(
      h.requested().map((a) => a.kind),
      ['fence-migrate', 'reinstall'],
    );
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
    const ctx = { ...initialContext({ targetId: 'host:t1', kind: 'host', at: 0 }), hasVms: true, vmDisksShared: true, noRoomForVms: true, incidentSignature: 'host-boot-failed' as const };
    const onReboot = { ...ctx, ladder: [RUNG.fenceMigrate, RUNG.reboot, RUNG.reinstall, RUNG.quarantine], ladderIndex: 1, rung: RUNG.reboot };
    assert.equal(reinstallUnjustified(onReboot, 'host-boot-failed'), false);
    assert.equal(reinstallUnjustified(onReboot, 'host-unreachable-os-running'), true);
    assert.equal(reinstallUnjustified(onReboot, 'host-unreachable'), true);
    assert.equal(mayReinstallWithVmsAboard(ctx, 'host-os-hung'), false);
  });

  test('the no-room memory ends with the incident', () => {
    const h = machineHarness('host');
    h.probes(3, 'host-boot-failed', { hasVms: true, vmDisksShared: true });
    h.done(NO_ROOM);
    assert.equal(h.ctx.noRoomForVms, true);
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
