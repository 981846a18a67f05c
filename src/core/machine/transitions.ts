/**
 * Transitions the machine needs in more than one state, written once and spread into the states
 * that use them, so their guard order cannot drift between copies. Targets are absolute
 * (`#recovery...`) so a transition means the same wherever it is spread.
 */
import { and } from 'xstate';

/** Why an action is requested: the `reason` of `action.requested`, in the incident's timeline. */
export const REASON = {
  entry: 'entry rung chosen from the failure signature and the flap penalty',
  operator: 'rung triggered by an operator',
  retry: 'same rung again (attempts left)',
  escalate: 'previous rung did not bring the target back',
  evacuateBeforeQuarantine: 'flapping: moving its VMs away before the host is quarantined',
  repairAfterEvacuation: 'VMs moved away; now repairing the host',
  repairInPlace: 'no healthy host has room for its VMs: repairing the host in place',
  confirmedOff: 'operator confirmed the host is off',
  leftovers: 'VMs still recorded on the quarantined host: starting them elsewhere',
} as const;

export function requestAction<R extends string>(reason: R) {
  return { type: 'requestAction', params: { reason } } as const;
}

const ACTING = '#recovery.recovering.acting';

/** Action lists shared by transitions: a step on the ladder and giving up. */
export const RETRY_RUNG = ['retryRung', requestAction(REASON.retry)] as const;
export const ESCALATE = ['escalate', requestAction(REASON.escalate)] as const;
export const QUARANTINE_EXHAUSTED = ['quarantineExhausted', 'emitQuarantined'] as const;

/**
 * The bad probe that reaches failAfter, in healthy and suspect: a VM blamed on its host waits for
 * it; a VM suspected because of its host and now failing on its own (the host incident just moved
 * it, or its host is back and it boots) gets the boot grace of a blocked VM; else an incident opens.
 * The states add what a bad probe below failAfter means to them.
 */
export const FAIL_AFTER_BAD_PROBES = [
  { guard: and(['probeBad', 'reachesFailAfter', 'probeBlocked']), target: '#recovery.blocked', actions: ['countProbe', 'resetCounters', 'markPhase'] },
  { guard: and(['probeBad', 'reachesFailAfter', 'lastProbeBlamedHost']), target: '#recovery.blocked', actions: ['countProbe', 'markPhase', 'startUnblocked'] },
  { guard: and(['probeBad', 'reachesFailAfter']), target: '#recovery.failed', actions: ['countProbe', 'openIncident', 'emitOpened', 'markPhase'] },
] as const;

const RUN_OPERATOR_RUNG = ['startManualRung', requestAction(REASON.operator), 'markPhase'] as const;

/** An operator runs a rung by hand on a target with an incident under way (verifying, awaiting a person). */
export const OPERATOR_TRIGGER_IN_INCIDENT = { target: ACTING, actions: RUN_OPERATOR_RUNG } as const;

/**
 * An operator runs a rung by hand from a state that may have no incident: one is opened (and
 * reported as opened) unless there is one already.
 */
export const OPERATOR_TRIGGER = { target: ACTING, actions: ['openManualIncident', 'emitOpened', ...RUN_OPERATOR_RUNG] } as const;

/**
 * The rung's deadline passed while verifying and the target is still bad: retry the rung, hand a
 * host that booted but does not answer to a person (a reinstall would not help), climb, or give up.
 * A probe is counted first; a TICK has nothing to count.
 */
function deadlineEscalation<const B extends readonly string[]>(before: B) {
  return [
    { guard: and(['deadlinePassed', 'canRetry']), target: ACTING, actions: [...before, ...RETRY_RUNG, 'markPhase'] },
    { guard: and(['deadlinePassed', 'reinstallWontHelp']), target: '#recovery.awaitingOperator', actions: [...before, 'clearAction', 'setReasonOsRunning', 'emitAwaiting', 'markPhase'] },
    { guard: and(['deadlinePassed', 'hasNextRung']), target: ACTING, actions: [...before, ...ESCALATE, 'markPhase'] },
    { guard: 'deadlinePassed', target: '#recovery.quarantined', actions: [...before, ...QUARANTINE_EXHAUSTED, 'markPhase'] },
  ] as const;
}

export const DEADLINE_ON_PROBE = deadlineEscalation(['countProbe']);
export const DEADLINE_ON_TICK = deadlineEscalation([]);
