/** What the API and the CLI see of a target: its runtime, projected to a TargetStatus. */
import { currentPenalty, rungName, type Policy } from '../core/index.js';
import type { TargetRuntime } from './target-runtime.js';
import type { TargetStatus } from './types.js';

export function targetStatusOf(rt: TargetRuntime, now: number, policy: Policy): TargetStatus {
  const ctx = rt.actor.getSnapshot().context;
  const inRecovery = rt.phase === 'recovering' || rt.phase === 'verifying';
  return {
    targetId: rt.id,
    kind: rt.kind,
    name: rt.name,
    phase: rt.phase,
    rung: inRecovery ? ctx.rung : null,
    rungName: inRecovery ? rungName(ctx.rung) : null,
    incidentId: ctx.incidentId,
    signature: ctx.lastSignature,
    maintenance: rt.phase === 'maintenance',
    penalty: Math.round(currentPenalty(ctx, now, policy)),
    since: ctx.phaseSince,
    reason: ctx.reason,
  };
}
