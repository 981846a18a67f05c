/**
 * One target's recovery machine (XState v5). Pure: no I/O, no timers, no Date.
 *
 *   healthy -> suspect -> failed -> recovering(acting -> verifying) -> healthy
 *   plus holding (the safety gate held the action: ask again later, or recover by itself),
 *   blocked (another incident owns it), awaitingOperator, quarantined, maintenance.
 *
 * Hysteresis: `failAfter` consecutive bad probes to fail, `recoverAfter` good ones to recover.
 * Time enters only through event timestamps (`at`): deadlines live in context and are checked on
 * PROBE / TICK, because XState cannot restore a pending `after` timer from a persisted snapshot.
 * The controller executes `context.pendingAction` and answers with ACTION_DONE; the machine
 * reports what happened through emitted events, which the controller writes to the store.
 *
 * The config refers to guards and actions by name only (guards.ts, actions.ts); transitions used
 * by several states are written once in transitions.ts. State names are persisted: keep them.
 */
import { and, not, setup } from 'xstate';
import { initialContext, type RecoveryContext, type RecoveryInput } from '../context.js';
import type { Policy } from '../policy.js';
import { recoveryActions } from './actions.js';
import type { RecoveryEmitted, RecoveryEvent } from './events.js';
import { recoveryGuards } from './guards.js';
import {
  ACTING_OVERDUE_ON_TICK,
  ACTION_FAILED,
  ACTION_HELD,
  DEADLINE_ON_PROBE,
  DEADLINE_ON_TICK,
  FAIL_AFTER_BAD_PROBES,
  HOLDING_ON_PROBE,
  HOLDING_ON_TICK,
  OPERATOR_TRIGGER,
  OPERATOR_TRIGGER_IN_INCIDENT,
  REASON,
  requestAction,
} from './transitions.js';

export function createRecoveryMachine(policy: Policy) {
  return setup({
    types: {
      context: {} as RecoveryContext,
      events: {} as RecoveryEvent,
      input: {} as RecoveryInput,
      emitted: {} as RecoveryEmitted,
    },
    guards: recoveryGuards(policy),
    actions: recoveryActions(policy),
  }).createMachine({
    id: 'recovery',
    context: ({ input }) => initialContext(input),
    initial: 'healthy',
    on: {
      MAINTENANCE: [
        { guard: and(['maintenanceOn', 'hasIncident']), target: '.maintenance', actions: ['closeIncident', 'forgetIncident', 'resetCounters', 'markPhase'] },
        { guard: 'maintenanceOn', target: '.maintenance', actions: ['resetCounters', 'markPhase'] },
      ],
    },
    states: {
      healthy: {
        on: {
          PROBE: [...FAIL_AFTER_BAD_PROBES, { guard: 'probeBad', target: 'suspect', actions: ['countProbe', 'markPhase'] }, { actions: 'countProbe' }],
          TRIGGER_RUNG: OPERATOR_TRIGGER,
        },
      },
      suspect: {
        on: {
          // One good probe clears the suspicion.
          PROBE: [...FAIL_AFTER_BAD_PROBES, { guard: 'probeBad', actions: 'countProbe' }, { target: 'healthy', actions: ['countProbe', 'markPhase'] }],
          TRIGGER_RUNG: OPERATOR_TRIGGER,
        },
      },
      failed: {
        always: [
          { guard: and(['suppressed', 'dampedRungHarmless']), target: 'recovering', actions: ['startDampedRung', requestAction(REASON.damped)] },
          { guard: and(['suppressed', 'evacuatesBeforeQuarantine']), target: 'recovering', actions: ['startEvacuationOnly', requestAction(REASON.evacuateBeforeQuarantine)] },
          { guard: 'suppressed', target: 'quarantined', actions: ['quarantineForFlapping', 'emitQuarantined'] },
          { target: 'recovering', actions: ['startEntryRung', requestAction(REASON.entry)] },
        ],
      },
      recovering: {
        initial: 'acting',
        states: {
          acting: {
            on: {
              ACTION_DONE: [
                { guard: not('isCurrentAction') },
                // The leftovers of a quarantined host still find no room (or no fence): try again later.
                { guard: and(['movingLeftovers', not('actionOk')]), target: '#recovery.quarantined', actions: ['leftoversStillThere', 'markPhase'] },
                ...ACTION_HELD,
                { guard: and(['actionOk', 'wasHostEvacuation', 'nextIsQuarantine']), target: '#recovery.quarantined', actions: ['quarantineAfterEvacuation', 'emitQuarantined', 'markPhase'] },
                { guard: and(['actionOk', 'wasHostEvacuation']), target: 'acting', reenter: true, actions: ['afterEvacuation', requestAction(REASON.repairAfterEvacuation)] },
                { guard: 'actionOk', target: 'verifying', actions: ['clearAction', 'resetCounters', 'markPhase'] },
                { guard: 'actionBlocked', target: '#recovery.awaitingOperator', actions: ['setReasonFromError', 'emitAwaiting', 'markPhase'] },
                { guard: and(['actionNoRoom', 'canReinstallAboard']), target: 'acting', reenter: true, actions: ['reinstallAboard', requestAction(REASON.reinstallAboard)] },
                { guard: and(['actionNoRoom', 'canRepairInPlace']), target: 'acting', reenter: true, actions: ['repairInPlace', requestAction(REASON.repairInPlace)] },
                ...ACTION_FAILED,
              ],
              TICK: ACTING_OVERDUE_ON_TICK,
            },
          },
          verifying: {
            on: {
              PROBE: [
                { guard: 'probeBlocked', target: '#recovery.blocked', actions: ['countProbe', 'resetCounters', 'closeIncident', 'forgetIncident', 'markPhase'] },
                { guard: and(['probeGood', 'reachesRecoverAfter']), target: '#recovery.healthy', actions: ['countProbe', 'resolveIncident', 'forgetIncident', 'markPhase'] },
                ...DEADLINE_ON_PROBE,
                { actions: 'countProbe' },
              ],
              TICK: DEADLINE_ON_TICK,
              TRIGGER_RUNG: OPERATOR_TRIGGER_IN_INCIDENT,
            },
          },
        },
      },
      blocked: {
        on: {
          PROBE: [
            { guard: and(['probeGood', 'reachesRecoverAfter']), target: 'healthy', actions: ['countProbe', 'markPhase'] },
            { guard: 'probeGood', actions: 'countProbe' },
            { guard: 'probeBlocked', actions: ['countProbe', 'clearUnblocked'] },
            // Started on yet another host (its new host died too): it boots anew, so does its grace.
            { guard: 'probeMovedHost', actions: ['countProbe', 'startUnblocked'] },
            // Its host is back (or it was started elsewhere) but it still fails after its boot
            // grace: now it is this VM's own incident. Within the grace it is booting.
            { guard: 'graceOver', target: 'failed', actions: ['countProbe', 'openIncident', 'emitOpened', 'markPhase'] },
            // A domain that is not running (shut off with its host, or gone) is not booting: no
            // grace beyond the usual failAfter probes.
            { guard: and(['probeDomainDown', 'reachesFailAfter']), target: 'failed', actions: ['countProbe', 'openIncident', 'emitOpened', 'markPhase'] },
            { actions: ['countProbe', 'markUnblocked'] },
          ],
          TRIGGER_RUNG: OPERATOR_TRIGGER,
        },
      },
      holding: {
        on: {
          PROBE: HOLDING_ON_PROBE,
          TICK: HOLDING_ON_TICK,
          CONFIRM_OFF: { target: 'recovering.acting', actions: ['reissueConfirmedOff', requestAction(REASON.confirmedOff), 'markPhase'] },
          RELEASE: { target: 'healthy', actions: ['closeIncident', 'forgetIncident', 'resetCounters', 'markPhase'] },
          TRIGGER_RUNG: OPERATOR_TRIGGER_IN_INCIDENT,
        },
      },
      awaitingOperator: {
        on: {
          // A spent rung (handed over: no justified reinstall above it) runs again on a confirmation
          // only SPENT_RUNG_RERUNS times: on every one it would loop, unbounded. Then the hand-over holds.
          CONFIRM_OFF: [
            { guard: 'spentRungRerunsUsed' },
            { target: 'recovering.acting', actions: ['reissueConfirmedOff', requestAction(REASON.confirmedOff), 'markPhase'] },
          ],
          PROBE: [
            { guard: and(['probeGood', 'reachesRecoverAfter']), target: 'healthy', actions: ['countProbe', 'resolveIncident', 'forgetIncident', 'markPhase'] },
            { actions: 'countProbe' },
          ],
          RELEASE: { target: 'healthy', actions: ['closeIncident', 'forgetIncident', 'resetCounters', 'markPhase'] },
          TRIGGER_RUNG: OPERATOR_TRIGGER_IN_INCIDENT,
        },
      },
      quarantined: {
        on: {
          PROBE: [
            { guard: 'leftoversDue', target: 'recovering', actions: ['countProbe', 'startLeftoverEvacuation', requestAction(REASON.leftovers), 'markPhase'] },
            { actions: 'countProbe' },
          ],
          RELEASE: [
            { guard: 'hasIncident', target: 'healthy', actions: ['closeIncident', 'forgetIncident', 'forgetPenalty', 'resetCounters', 'markPhase'] },
            { target: 'healthy', actions: ['forgetPenalty', 'resetCounters', 'markPhase'] },
          ],
          TRIGGER_RUNG: OPERATOR_TRIGGER,
        },
      },
      maintenance: {
        on: {
          PROBE: { actions: 'countProbe' },
          MAINTENANCE: { guard: 'maintenanceOff', target: 'healthy', actions: ['resetCounters', 'markPhase'] },
        },
      },
    },
  });
}

export type RecoveryMachine = ReturnType<typeof createRecoveryMachine>;
