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
  reinstallAboard: 'failed boot, no healthy host has room for its VMs, their disks on shared storage: reinstalling with them aboard',
  damped: 'flapping: only the harmless rung its evidence points to, then the quarantine',
  confirmedOff: 'operator confirmed the host is off',
  leftovers: 'VMs still recorded on the quarantined host: starting them elsewhere',
  recheck: 'held by the safety gate: asking again',
  repairInPlaceHeld: 'evacuation held by the safety gate: repairing the host in place',
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
 * A failed attempt: retry the rung, hand a host over to a person rather than reinstall it without
 * evidence (escalation/reinstall-evidence.ts), climb, or give up. The guards come in the order of
 * `steps` (each also says what makes it a failure, when the event alone does not); `before` runs
 * first on every branch.
 */
function failedAttempt<const R, const U, const N, const L, const B extends readonly string[]>(
  steps: { retry: R; unjustified: U; next: N; last: L },
  before: B,
) {
  return [
    { guard: steps.retry, target: ACTING, reenter: true, actions: [...before, ...RETRY_RUNG, 'markPhase'] },
    { guard: steps.unjustified, target: '#recovery.awaitingOperator', actions: [...before, 'clearAction', 'setReasonNoReinstall', 'emitAwaiting', 'markPhase'] },
    { guard: steps.next, target: ACTING, reenter: true, actions: [...before, ...ESCALATE, 'markPhase'] },
    { guard: steps.last, target: '#recovery.quarantined', actions: [...before, ...QUARANTINE_EXHAUSTED, 'markPhase'] },
  ] as const;
}

/** The action reported a failure (the last ACTION_DONE branches of recovering.acting); a no-room answer is remembered. */
export const ACTION_FAILED = failedAttempt({ retry: 'canRetry', unjustified: 'reinstallUnjustified', next: 'hasNextRung', last: undefined }, ['noteNoRoom']);

/** recovering.acting: a TICK past the acting deadline without ACTION_DONE is a failed attempt. */
export const ACTING_OVERDUE_ON_TICK = failedAttempt(
  {
    retry: and(['actingOverdue', 'canRetry']),
    unjustified: and(['actingOverdue', 'reinstallUnjustified']),
    next: and(['actingOverdue', 'hasNextRung']),
    last: 'actingOverdue',
  },
  ['emitActionOverdue'],
);

/** The rung's deadline passed while verifying and the target is still bad: a failed attempt. */
function deadlineEscalation<const B extends readonly string[]>(before: B) {
  return failedAttempt(
    {
      retry: and(['deadlinePassed', 'canRetry']),
      unjustified: and(['deadlinePassed', 'reinstallUnjustified']),
      next: and(['deadlinePassed', 'hasNextRung']),
      last: 'deadlinePassed',
    },
    before,
  );
}

/** A probe is counted first; a TICK has nothing to count. */
export const DEADLINE_ON_PROBE = deadlineEscalation(['countProbe']);
export const DEADLINE_ON_TICK = deadlineEscalation([]);

/** The recheck of a held action is due (checked on PROBE and TICK). */
function recheckHeld<const B extends readonly string[]>(before: B) {
  return { guard: 'holdOver', target: ACTING, actions: [...before, 'recheckHeld', requestAction(REASON.recheck), 'markPhase'] } as const;
}

/** recovering.acting: the safety gate held the action; the incident says why once per new reason. */
export const ACTION_HELD = [
  // A held evacuation of a host whose libvirtd died: restart it in place (no evidence needed).
  { guard: and(['actionHeld', 'canRepairInPlaceWhileHeld']), target: ACTING, reenter: true, actions: ['repairInPlace', requestAction(REASON.repairInPlaceHeld)] },
  { guard: 'newHoldReason', target: '#recovery.holding', actions: ['hold', 'emitHolding', 'markPhase'] },
  { guard: 'actionHeld', target: '#recovery.holding', actions: ['hold', 'markPhase'] },
] as const;

/**
 * holding: the target may come back by itself (then no destructive action was needed), a VM's
 * host may fail (its incident owns the VM), or the recheck comes due.
 */
/** A hold that lasted `safety.holdToPersonSeconds`: a person decides (good probes still close it). */
function heldTooLong<const B extends readonly string[]>(before: B) {
  return { guard: 'holdTooLong', target: '#recovery.awaitingOperator', actions: [...before, 'setReasonHeldTooLong', 'emitAwaiting', 'markPhase'] } as const;
}

export const HOLDING_ON_PROBE = [
  { guard: 'probeBlocked', target: '#recovery.blocked', actions: ['countProbe', 'resetCounters', 'closeIncident', 'forgetIncident', 'markPhase'] },
  { guard: and(['probeGood', 'reachesRecoverAfter']), target: '#recovery.healthy', actions: ['countProbe', 'resolveHeldIncident', 'forgetIncident', 'markPhase'] },
  heldTooLong(['countProbe']),
  recheckHeld(['countProbe']),
  { actions: 'countProbe' },
] as const;
export const HOLDING_ON_TICK = [heldTooLong([]), recheckHeld([])] as const;
