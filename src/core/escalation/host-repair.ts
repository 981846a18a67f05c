/**
 * Repairing a host from the rung its evidence points to: after its VMs were moved away
 * (evacuation.ts), or in place, VMs aboard, when no healthy host had room for any of them.
 */
import type { RecoveryContext } from '../context.js';
import { HOST_REPAIR_LADDER, IN_PLACE_LADDER } from '../ladder.js';
import type { Policy } from '../policy.js';
import { isDestructiveRung, RUNG } from '../rungs.js';
import { entryRungFor, hostEvidenceIndex, penaltyBoost } from './entry-rung.js';
import { belowUnprovenReinstall, hasReinstallEvidence, mayReinstallWithVmsAboard, reinstallUnjustified } from './reinstall-evidence.js';
import { escalate, withRung } from './rung-step.js';

/**
 * An evacuation found no room for any VM (nothing was fenced): instead of going on up the ladder
 * to rungs that destroy what still runs on the host, repair it in place from the rung
 * its evidence points to, without the evacuation (the reference system's ladder). Only when the
 * evidence points below the evacuation (a dead hypervisor, a host to power on or reboot).
 */
export function canRepairInPlace(ctx: RecoveryContext): boolean {
  return ctx.kind === 'host' && ctx.rung === RUNG.fenceMigrate && entryRungFor('host', ctx.incidentSignature ?? 'ok', false) < RUNG.fenceMigrate;
}

/**
 * An evacuation found no room for any VM of a host whose BMC reports a failed boot, its VMs' disks
 * on shared storage: the reinstall its evidence points to, VMs aboard (reinstall-evidence.ts),
 * without the reboot first (a reboot cannot bring back a missing /boot).
 */
export function canReinstallAboard(ctx: RecoveryContext): boolean {
  const code = ctx.lastSignature;
  return (
    ctx.kind === 'host' &&
    ctx.rung === RUNG.fenceMigrate &&
    ctx.ladder.includes(RUNG.reinstall) &&
    hasReinstallEvidence(ctx, code) &&
    mayReinstallWithVmsAboard({ ...ctx, noRoomForVms: true }, code)
  );
}

export function reinstallAboard(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  return { ...withRung(ctx, at, policy, ctx.ladder, ctx.ladder.indexOf(RUNG.reinstall), 1), noRoomForVms: true };
}

/**
 * The safety gate held an evacuation: the in-place repair replaces it only when that repair needs
 * no evidence (restart libvirtd, guests keep running). A reboot in place would be held for the
 * same missing evidence, and the evacuation would be lost: once the host is really down (its
 * watchdog reset it), nothing would move its VMs any more (host-partition-2).
 */
export function canRepairInPlaceWhileHeld(ctx: RecoveryContext): boolean {
  return canRepairInPlace(ctx) && !isDestructiveRung(entryRungFor('host', ctx.incidentSignature ?? 'ok', false));
}

export function repairInPlace(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  return withRung(ctx, at, policy, IN_PLACE_LADDER, hostEvidenceIndex(ctx, IN_PLACE_LADDER, 0), 1);
}

/** After a successful evacuation the host is repaired from the rung its evidence points to. */
export function startRepairRung(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  const evacuated = { ...ctx, evacuated: true };
  const index = belowUnprovenReinstall(evacuated, HOST_REPAIR_LADDER, hostEvidenceIndex(ctx, HOST_REPAIR_LADDER, penaltyBoost(ctx, policy)));
  return { ...withRung(ctx, at, policy, HOST_REPAIR_LADDER, index, 1), evacuated: true };
}

/**
 * A host's VMs were moved away: repair it from where the evidence points, or go on up the ladder
 * when the evacuation was a rung climbed to (not to a reinstall nothing justifies).
 */
export function afterEvacuation(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  if (ctx.ladderIndex === 0 && ctx.ladder[0] === RUNG.fenceMigrate) return startRepairRung(ctx, at, policy);
  // Climbing to a reinstall needs evidence of a broken installation: else repair from the evidence.
  if (reinstallUnjustified({ ...ctx, evacuated: true }, ctx.lastSignature)) return startRepairRung(ctx, at, policy);
  return { ...escalate(ctx, at, policy), evacuated: true };
}
