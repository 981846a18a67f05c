/**
 * One step on the ladder: put an incident on a rung (withRung: the deadline, the attempt and the
 * pending action under its deterministic id), retry it, or climb to the next one.
 */
import type { RecoveryContext } from '../context.js';
import { actionFor } from '../ladder.js';
import type { Policy, RungPolicy } from '../policy.js';
import { HIGHEST_RUNG, RUNG, RUNGS, type RungNumber } from '../rungs.js';

/** The quarantine is no action: no deadline, nothing to retry. */
const QUARANTINE_POLICY: RungPolicy = { timeoutSeconds: 0, maxAttempts: 1 };

/**
 * How long past its rung timeout an action may take to report before the machine counts it as a
 * failed attempt: the executor's own timeout fires first; this catches a result that never comes
 * (a lost store write, a wedged driver call).
 */
export const ACTING_MARGIN_SECONDS = 30;

/** Timeout and attempts of a rung from the policy. */
export function policyOfRung(rung: RungNumber, policy: Policy): RungPolicy {
  const name = RUNGS[rung];
  return name === 'quarantine' ? QUARANTINE_POLICY : policy.rungs[name];
}

/** The incident on `ladder[index]`: a fresh deadline, `attempt`, and the action to run. */
export function withRung(
  ctx: RecoveryContext,
  at: number,
  policy: Policy,
  ladder: RungNumber[],
  index: number,
  attempt: number,
  operatorConfirmedOff = false,
  operatorTriggered = false,
): Partial<RecoveryContext> {
  const rung = ladder[index] as RungNumber;
  const actionSeq = ctx.actionSeq + 1;
  const incidentId = ctx.incidentId as string;
  const timeoutMs = policyOfRung(rung, policy).timeoutSeconds * 1000;
  return {
    ladder,
    ladderIndex: index,
    rung,
    attempt,
    rungStartedAt: at,
    rungDeadline: at + timeoutMs,
    actingDeadline: at + timeoutMs + ACTING_MARGIN_SECONDS * 1000,
    actionSeq,
    good: 0,
    bad: 0,
    reason: null,
    pendingAction: {
      // The id format is persisted (store, snapshots): `<incidentId>/<seq>-r<rung>`.
      id: `${incidentId}/${actionSeq}-r${rung}`,
      incidentId,
      rung,
      kind: actionFor(ctx.kind, rung, ctx.incidentSignature),
      attempt,
      issuedAt: at,
      operatorConfirmedOff,
      ...(operatorTriggered ? { operatorTriggered } : {}),
    },
  };
}

export function rungPolicy(ctx: RecoveryContext, policy: Policy): RungPolicy {
  return policyOfRung(ctx.rung ?? HIGHEST_RUNG, policy);
}

export function canRetry(ctx: RecoveryContext, policy: Policy): boolean {
  return ctx.attempt < rungPolicy(ctx, policy).maxAttempts;
}

/** The next rung is the quarantine: nothing left to try after this one. */
export function nextIsQuarantine(ctx: RecoveryContext): boolean {
  return ctx.ladder[ctx.ladderIndex + 1] === RUNG.quarantine;
}

/** A rung left to try before the quarantine. */
export function hasNextRung(ctx: RecoveryContext): boolean {
  const next = ctx.ladder[ctx.ladderIndex + 1];
  return next !== undefined && next !== RUNG.quarantine;
}

export function retryRung(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  return withRung(ctx, at, policy, ctx.ladder, ctx.ladderIndex, ctx.attempt + 1);
}

export function escalate(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  return withRung(ctx, at, policy, ctx.ladder, ctx.ladderIndex + 1, 1);
}

/**
 * The safety gate held the action and its recheck time came: the same rung and attempt again
 * (a new action id), keeping what a person said (confirmed off, ran it by hand).
 */
export function recheckHeld(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  const held = ctx.pendingAction;
  return withRung(ctx, at, policy, ctx.ladder, ctx.ladderIndex, ctx.attempt, held?.operatorConfirmedOff ?? false, held?.operatorTriggered ?? false);
}

/**
 * How often per incident a person's power-off confirmation runs a spent rung again (one that failed
 * with no justified reinstall above it): once helps when the fault has passed since; every time
 * would loop hand-over -> reboot -> hand-over for as long as the person keeps confirming.
 */
export const SPENT_RUNG_RERUNS = 1;

/** A spent rung already ran again on a confirmation as often as allowed: the hand-over holds. */
export function spentRungRerunsUsed(ctx: RecoveryContext): boolean {
  return ctx.rungSpent === true && (ctx.spentRungReruns ?? 0) >= SPENT_RUNG_RERUNS;
}

/** The same rung and attempt again, now that a person confirmed the host is off. */
export function reissueConfirmedOff(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  const reruns = (ctx.spentRungReruns ?? 0) + (ctx.rungSpent === true ? 1 : 0);
  return {
    ...withRung(ctx, at, policy, ctx.ladder, ctx.ladderIndex, ctx.attempt, true, ctx.pendingAction?.operatorTriggered ?? false),
    ...(ctx.rungSpent === true ? { rungSpent: false, spentRungReruns: reruns } : {}),
  };
}
