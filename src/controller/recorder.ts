/**
 * Writes what the machines report (emitted events, phase changes, actions) to the store and the
 * log. Ids are deterministic (incident `<target>#<n>`, action `<incident>/<seq>-r<rung>`), so a
 * write repeated after a crash lands on the same rows.
 */
import { rungName, RUNG } from '../core/rungs.js';
import type { PendingAction, RecoveryContext } from '../core/recovery-context.js';
import type { RecoveryEmitted } from '../core/recovery-machine.js';
import { parseTargetId, type ActionOutcome, type TargetId, type TargetPhase } from '../core/types.js';
import type { Logger } from '../env/env.js';
import { errorText } from '../errors.js';
import type { ActionRecord, Store } from '../store/types.js';
import { actionResultProblem, refusedBySafetyGate, type ActionResult } from '../core/action-result.js';
import type { Timeline } from './executor-types.js';
import type { SideWrites } from './side-writes.js';

export class IncidentRecorder {
  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    /** Who acts automatically, in the audit log: this controller's id (its lease holder name). */
    private readonly controllerId = 'controller',
  ) {}

  async emitted(targetId: TargetId, e: RecoveryEmitted, ctx: RecoveryContext): Promise<void> {
    const log = this.log.child({ target: targetId, incident: 'incidentId' in e ? e.incidentId : ctx.incidentId });
    switch (e.type) {
      case 'incident.opened': {
        const { kind, name } = parseTargetId(targetId);
        const entry = ctx.pendingAction?.rung ?? ctx.rung ?? RUNG.quarantine;
        log.warn({ signature: e.signature, penalty: e.penalty, entryRung: entry }, `incident opened: ${e.summary}`);
        await this.store.createIncident({
          id: e.incidentId,
          targetId,
          targetKind: kind,
          targetName: name,
          detectedAt: e.at,
          signature: e.signature,
          signatureSummary: e.summary,
          entryRung: entry,
          currentRung: entry,
          state: 'open',
          resolvedAt: null,
          recoverySeconds: null,
          note: e.manual ? 'opened by an operator' : null,
        });
        await this.event(e.incidentId, e.at, 'opened', `${e.manual ? 'operator request' : e.summary} (penalty ${e.penalty})`, {
          signature: e.signature,
          penalty: e.penalty,
        });
        return;
      }
      case 'action.requested': {
        const a = e.action;
        const msg = `rung ${a.rung} ${rungName(a.rung)}: ${a.kind}, attempt ${a.attempt} (${e.reason})`;
        log.info({ rung: a.rung, action: a.kind, actionId: a.id, attempt: a.attempt }, msg);
        await this.store.updateIncident(a.incidentId, { currentRung: a.rung, state: 'recovering' });
        await this.event(a.incidentId, e.at, 'rung', msg, { rung: a.rung, action: a.kind, attempt: a.attempt });
        return;
      }
      case 'incident.resolved': {
        const detail = await this.store.getIncident(e.incidentId);
        const seconds = detail ? (e.at - detail.detectedAt) / 1000 : null;
        log.info({ recoverySeconds: seconds }, 'incident resolved: target healthy again');
        await this.store.updateIncident(e.incidentId, { state: 'resolved', resolvedAt: e.at, recoverySeconds: seconds });
        await this.event(e.incidentId, e.at, 'resolved', `healthy again after ${seconds?.toFixed(0) ?? '?'} s`);
        return;
      }
      case 'incident.quarantined':
        log.error({ alert: true, reason: e.reason }, `ALERT quarantined, handed over to a person: ${e.reason}`);
        if (e.incidentId) {
          await this.store.updateIncident(e.incidentId, { state: 'quarantined', currentRung: RUNG.quarantine, note: e.reason });
          await this.event(e.incidentId, e.at, 'alert', `quarantined: ${e.reason}`);
        }
        return;
      case 'incident.awaiting-operator':
        log.error({ alert: true, reason: e.reason }, `ALERT waiting for an operator: ${e.reason}`);
        await this.store.updateIncident(e.incidentId, { state: 'awaiting-operator', note: e.reason });
        await this.event(e.incidentId, e.at, 'alert', `waiting for an operator: ${e.reason}`);
        return;
      case 'incident.closed':
        log.info({ reason: e.reason }, `incident closed: ${e.reason}`);
        await this.store.updateIncident(e.incidentId, { state: 'cancelled', resolvedAt: e.at, note: e.reason });
        await this.event(e.incidentId, e.at, 'closed', e.reason);
        return;
    }
  }

  async phaseChanged(targetId: TargetId, incidentId: string | null, from: TargetPhase, to: TargetPhase, at: number, why: string | null): Promise<void> {
    this.log.info({ target: targetId, incident: incidentId, from, to }, `${from} => ${to}${why ? ` (${why})` : ''}`);
    if (incidentId) await this.event(incidentId, at, 'transition', `${from} => ${to}${why ? ` (${why})` : ''}`, { from, to });
  }

  /** `resumedHow` names how a resumed action goes on (default: an idempotent re-run). */
  async actionStarted(targetId: TargetId, a: PendingAction, at: number, resumed: boolean, fencingToken: number | null, resumedHow = 'idempotent re-run'): Promise<void> {
    await this.store.upsertAction(actionRecord(targetId, a, at, fencingToken, null));
    const msg = resumed ? `${a.kind} resumed after a controller restart (${resumedHow})` : `${a.kind} started`;
    this.log.info({ target: targetId, incident: a.incidentId, actionId: a.id, action: a.kind }, msg);
    await this.event(a.incidentId, at, 'action-start', msg, { actionId: a.id });
  }

  async actionFinished(targetId: TargetId, a: PendingAction, startedAt: number, at: number, r: ActionResult, fencingToken: number | null): Promise<void> {
    // The store knows ok / blocked / failed; an evacuation without room did nothing, recorded as failed.
    const outcome = r.outcome === 'no-room' ? 'failed' : r.outcome;
    const problem = actionResultProblem(r);
    await this.store.upsertAction(actionRecord(targetId, a, startedAt, fencingToken, { at, outcome, error: problem }));
    const msg = `${a.kind} ${outcome} after ${((at - startedAt) / 1000).toFixed(1)} s${problem ? `: ${problem}` : ''}`;
    const log = this.log.child({ target: targetId, incident: a.incidentId, actionId: a.id, action: a.kind, outcome });
    if (problem === null) log.info({}, msg);
    else log.warn({ error: problem }, msg);
    await this.event(a.incidentId, at, 'action-end', msg, { actionId: a.id, outcome });
    // The audit log has every automatic action too, with who (controller id and epoch) and how it ended.
    await this.store.addAudit({
      at,
      actor: `controller:${this.controllerId}${fencingToken === null ? '' : `@epoch${fencingToken}`}`,
      action: `action.${a.kind}`,
      target: targetId,
      details: { incident: a.incidentId, actionId: a.id, rung: a.rung, attempt: a.attempt, startedAt, ...(problem ? { error: problem } : {}) },
      outcome: r.outcome === 'ok' ? 'ok' : refusedBySafetyGate(r) ? 'refused' : 'failed',
    });
  }

  /**
   * An action in flight when a controller stopped, settled by the next one without running it
   * (reconcile.ts): its record ends as `interrupted` with what was observed and decided.
   */
  async actionSettledAfterRestart(rec: ActionRecord, at: number, note: string): Promise<void> {
    await this.store.upsertAction({ ...rec, finishedAt: at, outcome: 'interrupted', error: note });
    this.log.info({ target: rec.targetId, incident: rec.incidentId, actionId: rec.id, action: rec.kind, outcome: 'interrupted' }, `${rec.kind} settled after a controller restart: ${note}`);
    await this.event(rec.incidentId, at, 'action-end', `${rec.kind} interrupted by a controller restart: ${note}`, { actionId: rec.id, outcome: 'interrupted' });
  }

  /**
   * The timeline an action writes while it runs: a log line and an incident event per step. The
   * writes are tracked (idle() waits for them) but never awaited by the action.
   */
  timeline(targetId: TargetId, a: PendingAction, now: () => number, writes: SideWrites): Timeline {
    return (kind, message, data) => {
      this.log.info({ target: targetId, incident: a.incidentId, actionId: a.id, ...data }, message);
      void writes.track(this.event(a.incidentId, now(), kind, message, data));
    };
  }

  /** A timeline line for an incident; a failed write is logged, never thrown into the loop. */
  async event(incidentId: string, at: number, kind: string, message: string, data?: Record<string, unknown>): Promise<void> {
    try {
      await this.store.addIncidentEvent({ incidentId, at, kind, message, data });
    } catch (e) {
      this.log.error({ incident: incidentId, error: errorText(e) }, 'could not write incident event');
    }
  }
}

function actionRecord(
  targetId: TargetId,
  a: PendingAction,
  startedAt: number,
  fencingToken: number | null,
  end: { at: number; outcome: ActionOutcome; error: string | null } | null,
): ActionRecord {
  return {
    id: a.id,
    incidentId: a.incidentId,
    targetId,
    rung: a.rung,
    kind: a.kind,
    attempt: a.attempt,
    startedAt,
    finishedAt: end?.at ?? null,
    outcome: end?.outcome ?? null,
    error: end?.error ?? null,
    fencingToken,
  };
}
