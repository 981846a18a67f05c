/**
 * Service first: a host whose VMs went down with it is fenced and its VMs started elsewhere before
 * the host is repaired, or, when it flaps, before it is quarantined. VMs that found no room stay
 * in the quarantined host's care, which tries again to move them every LEFTOVER_RETRY_SECONDS.
 */
import type { ProbeFacts, RecoveryContext } from '../context.js';
import { EVACUATE_THEN_QUARANTINE_LADDER, EVACUATE_THEN_REPAIR_LADDER } from '../ladder.js';
import type { Policy } from '../policy.js';
import { RUNG } from '../rungs.js';
import { hostLostItsVms } from '../signature.js';
import { nextIsQuarantine, withRung } from './rung-step.js';

/** How often a quarantined host that still carries VMs (no room for them before) tries to move them. */
export const LEFTOVER_RETRY_SECONDS = 30;

/**
 * A host that carries VMs and went down with them (evidence of this incident) moves them before
 * anything else is done to it: its repair, or its quarantine when it flaps.
 */
export function evacuatesFirst(ctx: RecoveryContext, policy: Policy): boolean {
  return ctx.kind === 'host' && policy.evacuateFirst && ctx.hasVms && hostLostItsVms(ctx.incidentSignature ?? 'ok');
}

/** Evacuation as the entry rung, the host's repair after it. */
export function startEvacuationFirst(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  return withRung(ctx, at, policy, EVACUATE_THEN_REPAIR_LADDER, 0, 1);
}

/** A flapping host: its VMs are moved, then it is quarantined (left off, never rebooted again). */
export function startEvacuationOnly(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  return withRung(ctx, at, policy, EVACUATE_THEN_QUARANTINE_LADDER, 0, 1);
}

/**
 * Entering the quarantine: a host whose VMs went down with it keeps trying, every
 * LEFTOVER_RETRY_SECONDS, to start the ones still recorded on it elsewhere (room may appear when
 * another host is repaired). The host itself is left alone.
 */
export function leftoverRetryAfterQuarantine(ctx: RecoveryContext, at: number, policy: Policy): number | null {
  return evacuatesFirst(ctx, policy) ? at + LEFTOVER_RETRY_SECONDS * 1000 : null;
}

/** The next try for leftovers that still found no room (or no fence). */
export function nextLeftoverRetry(at: number): number {
  return at + LEFTOVER_RETRY_SECONDS * 1000;
}

/** A quarantined host, still down, still carrying VMs, whose retry time has come. */
export function leftoversDue(ctx: RecoveryContext, p: ProbeFacts): boolean {
  return (
    ctx.kind === 'host' &&
    ctx.incidentId !== null &&
    p.hasVms === true &&
    ctx.leftoverRetryAt != null &&
    p.at >= ctx.leftoverRetryAt &&
    hostLostItsVms(p.signature.code)
  );
}

/** The evacuation of what is left on a quarantined host: the quarantine reason is kept. */
export function startLeftoverEvacuation(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  return { ...withRung(ctx, at, policy, EVACUATE_THEN_QUARANTINE_LADDER, 0, 1), reason: ctx.reason, evacuated: true, leftoverRetryAt: null };
}

/** Moving the leftovers of a quarantined host (see startLeftoverEvacuation). */
export function movingLeftovers(ctx: RecoveryContext): boolean {
  return ctx.kind === 'host' && ctx.evacuated && ctx.rung === RUNG.fenceMigrate && nextIsQuarantine(ctx);
}

/** A host evacuation (fence, then its VMs started elsewhere) was the action that just ended. */
export function wasHostEvacuation(ctx: RecoveryContext): boolean {
  return ctx.kind === 'host' && ctx.pendingAction?.kind === 'fence-migrate';
}
