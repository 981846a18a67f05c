/**
 * An incident's life as far as the context goes: opening one (its deterministic id, the penalty it
 * adds) and the flap penalty it carries (penalty.ts does the arithmetic).
 */
import type { RecoveryContext } from './context.js';
import { decayedPenalty, isSuppressed } from './penalty.js';
import type { Policy } from './policy.js';
import type { SignatureCode } from './signature.js';

/** Penalty after adding one more incident at `at`. */
export function penaltyWithIncident(ctx: RecoveryContext, at: number, policy: Policy): number {
  return decayedPenalty(ctx.penalty, ctx.penaltyAt, at, policy.penalty) + policy.penalty.perIncident;
}

export function openIncident(ctx: RecoveryContext, at: number, policy: Policy, code: SignatureCode): Partial<RecoveryContext> {
  const seq = ctx.incidentSeq + 1;
  return {
    incidentSeq: seq,
    incidentId: `${ctx.targetId}#${seq}`,
    incidentSignature: code,
    penalty: penaltyWithIncident(ctx, at, policy),
    penaltyAt: at,
    evacuated: false,
    actionSeq: 0,
    reason: null,
  };
}

/** Past the flap limit: quarantine instead of acting again. */
export function suppressed(ctx: RecoveryContext, policy: Policy): boolean {
  return isSuppressed(ctx.penalty, policy.penalty);
}

export function currentPenalty(ctx: RecoveryContext, now: number, policy: Policy): number {
  return decayedPenalty(ctx.penalty, ctx.penaltyAt, now, policy.penalty);
}

/** The quarantine reason of a target past its flap limit. */
export function flappingReason(ctx: RecoveryContext, policy: Policy): string {
  return `flapping: penalty ${Math.round(ctx.penalty)} above ${policy.penalty.suppressAbove}`;
}
