/** The escalation policy as pure functions of the context: entry rung, rung steps, evacuation, repair. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { initialContext, type RecoveryContext } from '../../../src/core/context.js';
import { entryIndex, startEntryRung, startManualRung } from '../../../src/core/escalation/entry-rung.js';
import { evacuatesFirst, leftoverRetryAfterQuarantine, LEFTOVER_RETRY_SECONDS } from '../../../src/core/escalation/evacuation.js';
import { afterEvacuation, canRepairInPlace, repairInPlace } from '../../../src/core/escalation/host-repair.js';
import { canRetry, escalate, hasNextRung, retryRung } from '../../../src/core/escalation/rung-step.js';
import { openIncident } from '../../../src/core/incident.js';
import { HOST_LADDER } from '../../../src/core/ladder.js';
import { DEFAULT_POLICY, resolvePolicy } from '../../../src/core/policy.js';
import { RUNG } from '../../../src/core/rungs.js';
import type { SignatureCode } from '../../../src/core/signature.js';

const policy = DEFAULT_POLICY;

/** A host context with an incident just opened on `code`. */
function hostIncident(code: SignatureCode, extra: Partial<RecoveryContext> = {}): RecoveryContext {
  const ctx = { ...initialContext({ targetId: 'host:h1', kind: 'host', at: 0 }), ...extra };
  return { ...ctx, ...openIncident(ctx, 1000, policy, code) };
}

describe('entry rung', () => {
  test('the evidence picks the rung; the penalty lifts it but never to the quarantine', () => {
    assert.equal(HOST_LADDER[entryIndex(HOST_LADDER, RUNG.restartHypervisor, 0)], RUNG.restartHypervisor);
    assert.equal(HOST_LADDER[entryIndex(HOST_LADDER, RUNG.reboot, 1)], RUNG.restartHypervisor);
    assert.equal(HOST_LADDER[entryIndex(HOST_LADDER, RUNG.reboot, 99)], RUNG.reinstall);
  });

  test('the pending action has a deterministic id: <incidentId>/<seq>-r<rung>', () => {
    const ctx = hostIncident('hypervisor-down');
    const step = startEntryRung(ctx, 2000, policy);
    assert.equal(step.pendingAction?.id, 'host:h1#1/1-r3');
    assert.equal(step.rungDeadline, 2000 + policy.rungs['restart-hypervisor'].timeoutSeconds * 1000);
    const next = { ...ctx, ...step };
    assert.equal(escalate(next, 3000, policy).pendingAction?.id, 'host:h1#1/2-r4');
    assert.equal(retryRung(next, 3000, policy).attempt, 2);
  });

  test('a host whose VMs went down with it enters at the evacuation, then is repaired from its evidence', () => {
    const ctx = hostIncident('host-power-off', { hasVms: true });
    assert.equal(evacuatesFirst(ctx, policy), true);
    const evacuating = { ...ctx, ...startEntryRung(ctx, 2000, policy) };
    assert.equal(evacuating.rung, RUNG.fenceMigrate);
    const repairing = { ...evacuating, ...afterEvacuation(evacuating, 3000, policy) };
    assert.equal(repairing.pendingAction?.kind, 'host-power-on');
    assert.equal(repairing.evacuated, true);
    assert.equal(evacuatesFirst(ctx, resolvePolicy({ evacuateFirst: false })), false);
  });

  test('a host whose VMs still run is lifted by its penalty to the evacuation at most', () => {
    const ctx = hostIncident('hypervisor-down', { hasVms: true, penalty: 1700, penaltyAt: 1000 });
    assert.equal(evacuatesFirst(ctx, policy), false, 'its VMs still run');
    assert.equal(startEntryRung(ctx, 2000, policy).rung, RUNG.fenceMigrate);
    // Without VMs the penalty would reach the reinstall, but nothing shows a broken installation.
    assert.equal(startEntryRung({ ...ctx, hasVms: false }, 2000, policy).rung, RUNG.fenceMigrate);
    const bootFailed = { ...ctx, hasVms: false, incidentSignature: 'host-boot-failed' as const, lastSignature: 'host-boot-failed' as const };
    assert.equal(startEntryRung(bootFailed, 2000, policy).rung, RUNG.reinstall);
  });

  test('an operator rung missing from the ladder is slotted in by number', () => {
    const ctx = { ...initialContext({ targetId: 'vm:v1', kind: 'vm', at: 0 }), incidentId: 'vm:v1#1' };
    const step = startManualRung(ctx, 1000, policy, RUNG.serviceRestart);
    assert.deepEqual(step.ladder, [RUNG.serviceRestart, RUNG.reboot, RUNG.restartVm, RUNG.fenceMigrate, RUNG.quarantine]);
    assert.equal(step.ladderIndex, 0);
  });
});

describe('rung steps and host repair', () => {
  test('retries while attempts are left, climbs while a rung is left before the quarantine', () => {
    const ctx = hostIncident('host-boot-failed');
    const reinstalling = { ...ctx, ...startEntryRung(ctx, 2000, policy) };
    assert.equal(reinstalling.rung, RUNG.reinstall);
    assert.equal(canRetry(reinstalling, policy), false);
    assert.equal(hasNextRung(reinstalling), false);
  });

  test('an evacuation with no room repairs in place from the evidence, never by reinstalling first', () => {
    const ctx = hostIncident('hypervisor-down', { hasVms: true, penalty: 1700, penaltyAt: 1000 });
    const evacuating = { ...ctx, ...startEntryRung(ctx, 2000, policy) };
    assert.equal(canRepairInPlace(evacuating), true);
    const inPlace = repairInPlace(evacuating, 3000, policy);
    assert.equal(inPlace.rung, RUNG.restartHypervisor);
    assert.equal(inPlace.ladder?.includes(RUNG.fenceMigrate), false);
    assert.equal(canRepairInPlace({ ...evacuating, incidentSignature: 'host-and-bmc-unreachable' }), false);
  });

  test('a quarantined host whose VMs went down with it retries them every LEFTOVER_RETRY_SECONDS', () => {
    assert.equal(leftoverRetryAfterQuarantine(hostIncident('host-power-off', { hasVms: true }), 5000, policy), 5000 + LEFTOVER_RETRY_SECONDS * 1000);
    assert.equal(leftoverRetryAfterQuarantine(hostIncident('hypervisor-down', { hasVms: true }), 5000, policy), null);
  });
});
