/**
 * Holding: the safety gate found no independent evidence for a destructive action (or a storm
 * guard, self-check or limit holds it). The incident stays open on its rung with the gate's reason
 * and asks again at `holdUntil`; a recheck for an unchanged reason waits longer each time, up to
 * HOLD_BACKOFF_MAX times the gate's delay, so a long partition costs few rechecks.
 * Also the acting deadline: an action that never reports counts as a failed attempt.
 */
import type { ActionResult } from '../action-result.js';
import type { RecoveryContext } from '../context.js';

export const HOLD_BACKOFF_MAX = 4;

export type HeldResult = Extract<ActionResult, { outcome: 'held' }>;

export function isNewHoldReason(ctx: RecoveryContext, reason: string): boolean {
  return (ctx.holdReason ?? null) !== reason;
}

/** Enter (or stay in) holding: the reason, the recheck time with its backoff. */
export function hold(ctx: RecoveryContext, at: number, held: HeldResult): Partial<RecoveryContext> {
  const holdCount = isNewHoldReason(ctx, held.reason) ? 1 : (ctx.holdCount ?? 0) + 1;
  const factor = Math.min(2 ** (holdCount - 1), HOLD_BACKOFF_MAX);
  return { holdReason: held.reason, holdCount, holdUntil: at + held.recheckAfterMs * factor, reason: held.reason, actingDeadline: null, heldSince: ctx.heldSince ?? at };
}

/** Held for longer than the policy allows: hand the incident to a person. */
export function holdTooLong(ctx: RecoveryContext, at: number, holdToPersonSeconds: number): boolean {
  return ctx.heldSince != null && at - ctx.heldSince >= holdToPersonSeconds * 1000;
}

export function heldTooLongReason(ctx: RecoveryContext, at: number): string {
  const minutes = Math.round((at - (ctx.heldSince ?? at)) / 60_000);
  return `held for ${minutes} min without the evidence a destructive action needs (${ctx.holdReason ?? 'no reason recorded'}): a person must decide`;
}

export function holdOver(ctx: RecoveryContext, at: number): boolean {
  return ctx.holdUntil != null && at >= ctx.holdUntil;
}

export function actingOverdue(ctx: RecoveryContext, at: number): boolean {
  return ctx.actingDeadline != null && at >= ctx.actingDeadline;
}

/** "action did not report within N s" for the attempt that was issued at `issuedAt`. */
export function overdueReason(ctx: RecoveryContext): string {
  const issuedAt = ctx.pendingAction?.issuedAt ?? ctx.rungStartedAt;
  const seconds = Math.round(((ctx.actingDeadline ?? issuedAt) - issuedAt) / 1000);
  return `action did not report within ${seconds} s`;
}

export const FORGET_HOLD: Partial<RecoveryContext> = { holdReason: null, holdUntil: null, holdCount: 0, actingDeadline: null, heldSince: null };
