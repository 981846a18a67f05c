/**
 * Reinstalling wipes the host: it needs positive evidence that the installed system is broken.
 * Evidence is the BMC reporting a failed boot (`host-boot-failed`: no bootable device), an OS that
 * answers but fails its installation check (`host-install-broken`), or a person asking for it (an
 * operator-triggered rung). Never "the ladder ran out", never a host with VMs aboard (but see
 * mayReinstallWithVmsAboard). Without evidence the incident is handed over to a person with the
 * reason, and closes by itself when the host answers again.
 */
import type { RecoveryContext } from '../context.js';
import { RUNG, type RungNumber } from '../rungs.js';
import type { SignatureCode } from '../signature.js';

export const NO_REINSTALL_EVIDENCE = 'no evidence of a broken installation';

/** The BMC reported a failed boot, or the host failed its installation check, now or when the incident opened. */
const BROKEN_INSTALLATION: ReadonlySet<SignatureCode | null> = new Set(['host-boot-failed', 'host-install-broken']);

export function hasReinstallEvidence(ctx: RecoveryContext, code: SignatureCode | null): boolean {
  return BROKEN_INSTALLATION.has(code) || BROKEN_INSTALLATION.has(ctx.incidentSignature);
}

/**
 * The one exception to "never with VMs aboard": nothing aboard can be running and nothing is lost.
 * The BMC reports a failed boot now (no OS, so no guest runs there), every VM's disk is on shared
 * storage (the reinstall wipes only the host's own disk; the VMs are defined again from the
 * inventory afterwards), and an evacuation of this incident found no room for any of them
 * (with room, they are moved first).
 */
export function mayReinstallWithVmsAboard(ctx: RecoveryContext, code: SignatureCode | null): boolean {
  return code === 'host-boot-failed' && ctx.vmDisksShared === true && ctx.noRoomForVms === true;
}

/** VMs still run (or are recorded) on a host not evacuated in this incident, and may not be wiped with it. */
function vmsAboard(ctx: RecoveryContext, code: SignatureCode | null): boolean {
  return ctx.hasVms && !ctx.evacuated && !mayReinstallWithVmsAboard(ctx, code);
}

/** The next rung is a reinstall that nothing justifies: hand over to a person instead of climbing. */
export function reinstallUnjustified(ctx: RecoveryContext, code: SignatureCode | null): boolean {
  return ctx.kind === 'host' && ctx.ladder[ctx.ladderIndex + 1] === RUNG.reinstall && (!hasReinstallEvidence(ctx, code) || vmsAboard(ctx, code));
}

export function noReinstallReason(ctx: RecoveryContext, code: SignatureCode | null): string {
  if (vmsAboard(ctx, code)) return `${ctx.targetId} still carries VMs: it is never reinstalled before they moved; check it`;
  if (code === 'host-unreachable-os-running') {
    return `${ctx.targetId} booted (its BMC reports the OS running) but does not answer on the network: a reinstall would not help; check its network`;
  }
  return `${NO_REINSTALL_EVIDENCE}: ${ctx.targetId} is not reinstalled (no failed boot, no failed installation check); check it`;
}

/**
 * An incident placed on a ladder (entry, repair after evacuation) lands below the reinstall unless
 * the evidence justifies it (a flap penalty alone may lift it that far).
 */
export function belowUnprovenReinstall(ctx: RecoveryContext, ladder: RungNumber[], index: number): number {
  if (ladder[index] !== RUNG.reinstall || (hasReinstallEvidence(ctx, ctx.lastSignature) && !vmsAboard(ctx, ctx.lastSignature))) return index;
  return Math.max(0, index - 1);
}
