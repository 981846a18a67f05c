/**
 * The recovery machine's actions, by name, grouped by concern: counting and hysteresis, incident
 * life, rung changes, reasons and quarantine, and what the machine emits. Each is a thin wrapper
 * around a pure function of the context (context.ts, incident.ts, escalation/).
 */
import { assign, emit } from 'xstate';
import { actionResultProblem } from '../action-result.js';
import { countProbe, probeCountCap, type PendingAction, type RecoveryContext } from '../context.js';
import { startDampedRung, startEntryRung, startManualRung } from '../escalation/entry-rung.js';
import { leftoverRetryAfterQuarantine, nextLeftoverRetry, startEvacuationOnly, startLeftoverEvacuation } from '../escalation/evacuation.js';
import { afterEvacuation, reinstallAboard, repairInPlace } from '../escalation/host-repair.js';
import { FORGET_HOLD, heldTooLongReason, hold, overdueReason } from '../escalation/holding.js';
import { noReinstallReason } from '../escalation/reinstall-evidence.js';
import { escalate, recheckHeld, reissueConfirmedOff, retryRung } from '../escalation/rung-step.js';
import { flappingReason, openIncident } from '../incident.js';
import type { Policy } from '../policy.js';
import { eventTime as at, probeCode, type RecoveryEmitted, type RecoveryEvent } from './events.js';

// assign / emit bound to the machine's types (what setup() would hand out), so the actions can
// live outside the setup() call.
const set = assign<RecoveryContext, RecoveryEvent, undefined, RecoveryEvent, never>;
const say = emit<RecoveryContext, RecoveryEvent, undefined, RecoveryEvent, RecoveryEmitted>;
const sayWithReason = emit<RecoveryContext, RecoveryEvent, { reason: string }, RecoveryEvent, RecoveryEmitted>;

/** Probe counting (hysteresis) and the phase clock. */
function countingActions(policy: Policy) {
  const cap = probeCountCap(policy);
  return {
    countProbe: set(({ context, event }) => (event.type === 'PROBE' ? countProbe(context, event, cap) : {})),
    resetCounters: set({ bad: 0, good: 0 }),
    markPhase: set(({ event }) => ({ phaseSince: at(event), unblockedAt: null })),
    // The boot grace of a VM whose host is back: from the first probe that no longer blames the host.
    markUnblocked: set(({ context, event }) => ({ unblockedAt: context.unblockedAt ?? at(event) })),
    clearUnblocked: set({ unblockedAt: null }),
    startUnblocked: set(({ event }) => ({ unblockedAt: at(event), bad: 1, good: 0 })),
  };
}

/** Opening and forgetting an incident and its penalty. */
function incidentActions(policy: Policy) {
  return {
    openIncident: set(({ context, event }) => openIncident(context, at(event), policy, probeCode(event))),
    openManualIncident: set(({ context, event }) =>
      context.incidentId !== null ? {} : openIncident(context, at(event), policy, context.lastSignature ?? 'ok'),
    ),
    forgetIncident: set({
      incidentId: null,
      incidentSignature: null,
      pendingAction: null,
      rung: null,
      attempt: 0,
      ladder: [],
      ladderIndex: 0,
      reason: null,
      evacuated: false,
      leftoverRetryAt: null,
      noRoomForVms: false,
      rungSpent: false,
      spentRungReruns: 0,
      ...FORGET_HOLD,
    }),
    forgetPenalty: set(({ event }) => ({ penalty: 0, penaltyAt: at(event) })),
  };
}

/** Putting the incident on a rung: entry, operator's choice, retry, escalation, evacuation, repair. */
function rungActions(policy: Policy) {
  return {
    startEntryRung: set(({ context, event }) => startEntryRung(context, at(event), policy)),
    startDampedRung: set(({ context, event }) => startDampedRung(context, at(event), policy)),
    startManualRung: set(({ context, event }) => (event.type === 'TRIGGER_RUNG' ? { ...startManualRung(context, at(event), policy, event.rung), rungSpent: false } : {})),
    retryRung: set(({ context, event }) => retryRung(context, at(event), policy)),
    escalate: set(({ context, event }) => escalate(context, at(event), policy)),
    afterEvacuation: set(({ context, event }) => afterEvacuation(context, at(event), policy)),
    startEvacuationOnly: set(({ context, event }) => startEvacuationOnly(context, at(event), policy)),
    startLeftoverEvacuation: set(({ context, event }) => startLeftoverEvacuation(context, at(event), policy)),
    repairInPlace: set(({ context, event }) => repairInPlace(context, at(event), policy)),
    reinstallAboard: set(({ context, event }) => reinstallAboard(context, at(event), policy)),
    reissueConfirmedOff: set(({ context, event }) => reissueConfirmedOff(context, at(event), policy)),
    recheckHeld: set(({ context, event }) => recheckHeld(context, at(event), policy)),
    clearAction: set({ pendingAction: null, actingDeadline: null }),
    // The evacuation found no room for any VM aboard: part of the evidence for mayReinstallWithVmsAboard.
    noteNoRoom: set(({ event }) => (event.type === 'ACTION_DONE' && event.result.outcome === 'no-room' ? { noRoomForVms: true } : {})),
    // The held action stays in context (who confirmed, who triggered) for the recheck; nothing runs it.
    hold: set(({ context, event }) => (event.type === 'ACTION_DONE' && event.result.outcome === 'held' ? hold(context, at(event), event.result) : {})),
  };
}

/** Why the incident waits for a person or is quarantined. */
function reasonActions(policy: Policy) {
  return {
    setReasonHeldTooLong: set(({ context, event }) => ({ reason: heldTooLongReason(context, at(event)), ...FORGET_HOLD, pendingAction: null })),
    setReasonNoReinstall: set(({ context, event }) => ({ reason: noReinstallReason(context, event.type === 'PROBE' ? event.signature.code : context.lastSignature), rungSpent: true })),
    setReasonFromError: set(({ event }) => ({ reason: event.type === 'ACTION_DONE' ? (actionResultProblem(event.result) ?? 'blocked') : null })),
    quarantineForFlapping: set(({ context, event }) => ({
      reason: flappingReason(context, policy),
      pendingAction: null,
      leftoverRetryAt: leftoverRetryAfterQuarantine(context, at(event), policy),
    })),
    quarantineAfterEvacuation: set(({ context }) => ({
      reason: context.reason ?? `${flappingReason(context, policy)}; its VMs were moved to other hosts first`,
      pendingAction: null,
      evacuated: true,
      leftoverRetryAt: null,
    })),
    leftoversStillThere: set(({ context, event }) => ({
      pendingAction: null,
      leftoverRetryAt: nextLeftoverRetry(at(event)),
      reason: context.reason,
    })),
    quarantineExhausted: set(({ context, event }) => {
      const problem = event.type === 'ACTION_DONE' ? actionResultProblem(event.result) : event.type === 'TICK' && context.actingDeadline != null ? overdueReason(context) : null;
      return {
        leftoverRetryAt: leftoverRetryAfterQuarantine(context, at(event), policy),
        reason: `ladder exhausted after rung ${context.rung ?? '?'}` + (problem ? `: ${problem}` : ': target did not recover in time'),
        pendingAction: null,
      };
    }),
  };
}

/** What the machine tells the controller (and through it the store and the log). */
const emitActions = {
  emitOpened: say(({ context, event }) => ({
    type: 'incident.opened' as const,
    incidentId: context.incidentId as string,
    at: at(event),
    signature: context.incidentSignature ?? 'ok',
    summary: context.lastSummary ?? 'triggered by an operator',
    penalty: Math.round(context.penalty),
    manual: event.type === 'TRIGGER_RUNG',
  })),
  requestAction: sayWithReason(({ context, event }, params) => ({
    type: 'action.requested' as const,
    at: at(event),
    action: context.pendingAction as PendingAction,
    reason: params.reason,
  })),
  emitAwaiting: say(({ context, event }) => ({
    type: 'incident.awaiting-operator' as const,
    incidentId: context.incidentId as string,
    at: at(event),
    reason: context.reason ?? 'waiting for an operator',
  })),
  emitQuarantined: say(({ context, event }) => ({
    type: 'incident.quarantined' as const,
    incidentId: context.incidentId,
    at: at(event),
    reason: context.reason ?? 'quarantined',
  })),
  resolveIncident: say(({ context, event }) => ({
    type: 'incident.resolved' as const,
    incidentId: context.incidentId as string,
    at: at(event),
  })),
  resolveHeldIncident: say(({ context, event }) => ({
    type: 'incident.resolved' as const,
    incidentId: context.incidentId as string,
    at: at(event),
    note: 'recovered without a destructive action',
  })),
  emitHolding: say(({ context, event }) => ({
    type: 'incident.holding' as const,
    incidentId: context.incidentId as string,
    at: at(event),
    reason: context.holdReason ?? 'held',
    recheckAt: context.holdUntil ?? at(event),
  })),
  emitActionOverdue: say(({ context, event }) => ({
    type: 'action.overdue' as const,
    incidentId: context.incidentId as string,
    at: at(event),
    actionId: context.pendingAction?.id ?? '',
    reason: overdueReason(context),
  })),
  closeIncident: say(({ context, event }) => ({
    type: 'incident.closed' as const,
    incidentId: context.incidentId as string,
    at: at(event),
    reason:
      event.type === 'MAINTENANCE'
        ? 'target put in maintenance'
        : event.type === 'RELEASE'
          ? 'released by an operator'
          : 'superseded: the host of this VM failed, the host incident owns it',
  })),
};

export function recoveryActions(policy: Policy) {
  return { ...countingActions(policy), ...incidentActions(policy), ...rungActions(policy), ...reasonActions(policy), ...emitActions };
}
