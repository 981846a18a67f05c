/**
 * Where an incident enters the ladder: the rung its evidence (the failure signature) points to,
 * lifted by the flap penalty it carries in, never to the quarantine; or the rung an operator
 * chose. A host whose VMs went down with it enters at the evacuation (evacuation.ts).
 */
import type { RecoveryContext } from '../context.js';
import { ladderFor } from '../ladder.js';
import { rungBoost } from '../penalty.js';
import type { Policy } from '../policy.js';
import { isDestructiveRung, LOWEST_RUNG, RUNG, type RungNumber } from '../rungs.js';
import type { SignatureCode } from '../signature.js';
import type { TargetKind } from '../types.js';
import { evacuatesFirst, startEvacuationFirst } from './evacuation.js';
import { belowUnprovenReinstall } from './reinstall-evidence.js';
import { withRung } from './rung-step.js';

/** The rung the evidence points to, before any penalty boost. */
export function entryRungFor(kind: TargetKind, code: SignatureCode, canRestartService: boolean): RungNumber {
  if (kind === 'host') {
    switch (code) {
      case 'hypervisor-down':
        return RUNG.restartHypervisor;
      case 'host-and-bmc-unreachable':
        return RUNG.fenceMigrate;
      case 'host-boot-failed':
      case 'host-install-broken':
        // The installed system does not boot, or fails its installation check: a reboot cannot help.
        return RUNG.reinstall;
      default:
        return RUNG.reboot;
    }
  }
  switch (code) {
    case 'vm-service-dead':
      return canRestartService ? RUNG.serviceRestart : RUNG.reboot;
    case 'vm-missing':
      return RUNG.fenceMigrate;
    case 'vm-crashed':
    case 'vm-hung':
    case 'vm-paused':
      // A hung or crashed guest will not honour an ACPI shutdown: restart the domain.
      return RUNG.restartVm;
    default:
      return RUNG.reboot;
  }
}

/** Index in `ladder` where an incident starts: the evidence's rung lifted by `boost`, never to quarantine. */
export function entryIndex(ladder: RungNumber[], evidenceRung: RungNumber, boost: number): number {
  let index = ladder.findIndex((r) => r >= evidenceRung);
  if (index < 0) index = ladder.length - 2;
  return Math.min(index + boost, ladder.length - 2);
}

/** Rungs the penalty carried into this incident (its own share left out) adds to the entry rung. */
export function penaltyBoost(ctx: RecoveryContext, policy: Policy): number {
  const carried = ctx.penalty - policy.penalty.perIncident;
  return rungBoost(carried, policy.penalty);
}

/** Where this host's evidence points on `ladder`, lifted by `boost` (hosts only: no service restart). */
export function hostEvidenceIndex(ctx: RecoveryContext, ladder: RungNumber[], boost: number): number {
  return entryIndex(ladder, entryRungFor('host', ctx.incidentSignature ?? 'ok', false), boost);
}

/** Where a new incident enters the ladder: evidence, then penalty; hosts with VMs evacuate first. */
export function startEntryRung(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  if (evacuatesFirst(ctx, policy)) return startEvacuationFirst(ctx, at, policy);
  const code = ctx.incidentSignature ?? 'ok';
  const ladder = ladderFor(ctx);
  let index = entryIndex(ladder, entryRungFor(ctx.kind, code, ctx.canRestartService), penaltyBoost(ctx, policy));
  // The flap penalty may lift a host past the evacuation (its VMs still run, e.g. libvirtd died):
  // a host that carries VMs is never reinstalled before they were moved away.
  if (ctx.kind === 'host' && policy.evacuateFirst && ctx.hasVms && (ladder[index] ?? LOWEST_RUNG) > RUNG.fenceMigrate) {
    index = ladder.indexOf(RUNG.fenceMigrate);
  }
  return withRung(ctx, at, policy, ladder, belowUnprovenReinstall(ctx, ladder, index), 1);
}

/** An operator's rung: on the target's ladder, slotted in by number when the ladder lacks it. */
export function startManualRung(ctx: RecoveryContext, at: number, policy: Policy, rung: RungNumber): Partial<RecoveryContext> {
  const ladder = ladderFor(ctx);
  const merged = ladder.includes(rung) ? ladder : [...ladder.filter((r) => r < rung), rung, ...ladder.filter((r) => r > rung)];
  // The person is the evidence the safety gate asks for (limits still apply).
  return withRung(ctx, at, policy, merged, merged.indexOf(rung), 1, false, true);
}

/**
 * Flap damping stops destructive loops, not harmless repairs: a target past its flap limit whose
 * evidence points to a rung that cannot take anything down (restart libvirtd while the guests run,
 * restart a service) still gets that rung, alone; if it does not help, the quarantine follows.
 */
export function dampedRungHarmless(ctx: RecoveryContext): boolean {
  return !isDestructiveRung(entryRungFor(ctx.kind, ctx.incidentSignature ?? 'ok', ctx.canRestartService));
}

export function startDampedRung(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  const rung = entryRungFor(ctx.kind, ctx.incidentSignature ?? 'ok', ctx.canRestartService);
  return withRung(ctx, at, policy, [rung, RUNG.quarantine], 0, 1);
}
