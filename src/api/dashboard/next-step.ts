/**
 * What the controller will do next for one target, or why it holds, in words an operator reads at
 * 3 a.m. Derived from the target's status and its machine context as persisted in the store (the
 * same record a restarted controller resumes from), plus the safety guard.
 */
import { isDestructiveRung, isRungNumber, rungName } from '../../core/rungs.js';
import type { TargetStatus } from '../../controller/types.js';
import { toIso } from '../schemas/common.js';
import type { NextStep } from './snapshot-schema.js';

/** The fields of a persisted RecoveryContext the dashboard reads; every one may be absent. */
export interface ContextView {
  bad?: number;
  good?: number;
  ladder?: number[];
  ladderIndex?: number;
  attempt?: number;
  rungStartedAt?: number;
  rungDeadline?: number;
  pendingAction?: { kind: string; rung: number; attempt: number } | null;
  actingDeadline?: number | null;
  holdReason?: string | null;
  holdUntil?: number | null;
  lastSummary?: string | null;
}

export interface Guard {
  on: boolean;
  reason: string | null;
}

const rungLabel = (r: number | undefined | null): string => (r === undefined || r === null ? 'none' : `rung ${r} ${rungName(r) ?? '?'}`);
const iso = (ms: number | null | undefined): string | null => (typeof ms === 'number' && ms > 0 ? toIso(ms) : null);

/** The rung after the current one on this incident's ladder, if any. */
function nextRung(ctx: ContextView): number | undefined {
  return ctx.ladder && ctx.ladderIndex !== undefined ? ctx.ladder[ctx.ladderIndex + 1] : undefined;
}

function escalation(ctx: ContextView): string {
  const next = nextRung(ctx);
  return next === undefined ? 'if it is not healthy by the deadline: hand over to a person' : `if it is not healthy by the deadline: ${rungLabel(next)}`;
}

export function nextStepOf(s: TargetStatus, ctx: ContextView, guard: Guard): NextStep | null {
  const why = s.reason ?? ctx.lastSummary ?? s.signature ?? 'no reason recorded';
  switch (s.phase) {
    case 'healthy':
      return null;
    case 'maintenance':
      return { mode: 'none', what: 'nothing automatic: in maintenance', why: 'still probed; an operator turns maintenance off', at: null };
    case 'suspect':
      return { mode: 'watch', what: 'confirm the failure with more probes', why: `${ctx.bad ?? 1} bad probe(s) in a row (${why}); one good probe clears it`, at: null };
    case 'failed':
      return { mode: 'act', what: 'choose the entry rung from the failure signature', why, at: null };
    case 'recovering': {
      const action = ctx.pendingAction;
      const rung = action?.rung ?? s.rung;
      const held = guard.on && typeof rung === 'number' && isRungNumber(rung) && isDestructiveRung(rung);
      const what = action ? `run ${action.kind} (${rungLabel(action.rung)}, attempt ${action.attempt})` : `${rungLabel(s.rung)} in progress`;
      return {
        mode: held ? 'hold' : 'act',
        what,
        why: held ? `safety guard on: ${guard.reason ?? 'destructive actions held'}; ${why}` : `${why}; ${escalation(ctx)}`,
        at: iso(ctx.rungDeadline ?? ctx.actingDeadline),
      };
    }
    case 'verifying':
      return { mode: 'verify', what: `wait for good probes after ${rungLabel(s.rung)} (${ctx.good ?? 0} so far)`, why: escalation(ctx), at: iso(ctx.rungDeadline) };
    case 'holding': {
      const reason = ctx.holdReason ?? why;
      const action = ctx.pendingAction ? `${ctx.pendingAction.kind} (${rungLabel(ctx.pendingAction.rung)})` : rungLabel(s.rung);
      return { mode: 'hold', what: `hold ${action}; ask the safety gate again`, why: guard.on ? `${reason} (safety guard: ${guard.reason ?? 'on'})` : reason, at: iso(ctx.holdUntil) };
    }
    case 'blocked':
      return { mode: 'none', what: 'nothing on the VM itself: its host\'s incident owns it', why, at: null };
    case 'awaiting-operator':
      return { mode: 'person', what: 'wait for a person (confirm the host off, or release)', why, at: null };
    case 'quarantined':
      return { mode: 'person', what: 'nothing more: quarantined until released', why, at: null };
    default:
      return { mode: 'none', what: s.phase, why, at: null };
  }
}
