/**
 * One target's recovery machine (XState v5). Pure: no I/O, no timers, no Date.
 *
 *   healthy -> suspect -> failed -> recovering(acting -> verifying) -> healthy
 *   plus blocked (another incident owns it), awaitingOperator, quarantined, maintenance.
 *
 * Hysteresis: `failAfter` consecutive bad probes to fail, `recoverAfter` good ones to recover.
 * Time enters only through event timestamps (`at`): deadlines live in context and are checked on
 * PROBE / TICK, because XState cannot restore a pending `after` timer from a persisted snapshot.
 * The controller executes `context.pendingAction` and answers with ACTION_DONE; the machine
 * reports what happened through emitted events, which the controller writes to the store.
 */
import { and, assign, emit, not, setup } from 'xstate';
import { actionResultProblem, type ActionResult } from './action-result.js';
import { isBlockedSignature } from './ladder.js';
import type { Policy } from './policy.js';
import {
  afterEvacuation,
  canRepairInPlace,
  canRetry,
  countProbe,
  escalate,
  evacuatesBeforeQuarantine,
  hasNextRung,
  initialContext,
  leftoverRetryAfterQuarantine,
  leftoversDue,
  LEFTOVER_RETRY_SECONDS,
  movingLeftovers,
  nextIsQuarantine,
  openIncident,
  osRunningReason,
  reinstallWontHelp,
  reissueConfirmedOff,
  repairInPlace,
  retryRung,
  startEntryRung,
  startEvacuationOnly,
  startLeftoverEvacuation,
  startManualRung,
  suppressed,
  type PendingAction,
  type ProbeFacts,
  type RecoveryContext,
  type RecoveryInput,
} from './recovery-context.js';
import type { SignatureCode } from './signature.js';
import type { RungNumber } from './types.js';

export type RecoveryEvent =
  | ({ type: 'PROBE' } & ProbeFacts)
  | { type: 'ACTION_DONE'; at: number; actionId: string; result: ActionResult }
  | { type: 'TICK'; at: number }
  | { type: 'MAINTENANCE'; at: number; on: boolean }
  | { type: 'RELEASE'; at: number }
  | { type: 'TRIGGER_RUNG'; at: number; rung: RungNumber }
  | { type: 'CONFIRM_OFF'; at: number };

export type RecoveryEmitted =
  | { type: 'incident.opened'; incidentId: string; at: number; signature: SignatureCode; summary: string; penalty: number; manual: boolean }
  | { type: 'action.requested'; at: number; action: PendingAction; reason: string }
  | { type: 'incident.resolved'; incidentId: string; at: number }
  | { type: 'incident.quarantined'; incidentId: string | null; at: number; reason: string }
  | { type: 'incident.awaiting-operator'; incidentId: string; at: number; reason: string }
  | { type: 'incident.closed'; incidentId: string; at: number; reason: string };

function at(event: RecoveryEvent): number {
  return event.at;
}

function probeCode(event: RecoveryEvent): SignatureCode {
  return event.type === 'PROBE' ? event.signature.code : 'ok';
}

export function createRecoveryMachine(policy: Policy) {
  return setup({
    types: {
      context: {} as RecoveryContext,
      events: {} as RecoveryEvent,
      input: {} as RecoveryInput,
      emitted: {} as RecoveryEmitted,
    },
    guards: {
      probeBad: ({ event }) => event.type === 'PROBE' && !event.signature.healthy,
      probeGood: ({ event }) => event.type === 'PROBE' && event.signature.healthy,
      probeBlocked: ({ event }) => event.type === 'PROBE' && isBlockedSignature(event.signature.code),
      lastProbeBlamedHost: ({ context }) => context.kind === 'vm' && context.lastSignature !== null && isBlockedSignature(context.lastSignature),
      probeDomainDown: ({ event }) => event.type === 'PROBE' && (event.signature.code === 'vm-crashed' || event.signature.code === 'vm-missing'),
      reachesFailAfter: ({ context }) => context.bad + 1 >= policy.failAfter,
      reachesRecoverAfter: ({ context }) => context.good + 1 >= policy.recoverAfter,
      suppressed: ({ context }) => suppressed(context, policy),
      isCurrentAction: ({ context, event }) =>
        event.type === 'ACTION_DONE' && context.pendingAction !== null && event.actionId === context.pendingAction.id,
      actionOk: ({ event }) => event.type === 'ACTION_DONE' && event.result.outcome === 'ok',
      actionBlocked: ({ event }) => event.type === 'ACTION_DONE' && event.result.outcome === 'blocked',
      wasHostEvacuation: ({ context }) => context.kind === 'host' && context.pendingAction?.kind === 'fence-migrate',
      actionNoRoom: ({ event }) => event.type === 'ACTION_DONE' && event.result.outcome === 'no-room',
      canRepairInPlace: ({ context }) => canRepairInPlace(context),
      evacuatesBeforeQuarantine: ({ context }) => evacuatesBeforeQuarantine(context, policy),
      nextIsQuarantine: ({ context }) => nextIsQuarantine(context),
      leftoversDue: ({ context, event }) => event.type === 'PROBE' && leftoversDue(context, event),
      movingLeftovers: ({ context }) => movingLeftovers(context),
      reinstallWontHelp: ({ context, event }) => reinstallWontHelp(context, event.type === 'PROBE' ? event.signature.code : context.lastSignature),
      // A target answering again is given its recoverAfter probes even past the rung deadline.
      deadlinePassed: ({ context, event }) =>
        at(event) >= context.rungDeadline && (event.type === 'PROBE' ? !event.signature.healthy : context.good === 0),
      graceOver: ({ context, event }) =>
        context.unblockedAt !== null && at(event) - context.unblockedAt >= policy.blockedGraceSeconds * 1000,
      canRetry: ({ context }) => canRetry(context, policy),
      hasNextRung: ({ context }) => hasNextRung(context),
      maintenanceOn: ({ event }) => event.type === 'MAINTENANCE' && event.on,
      maintenanceOff: ({ event }) => event.type === 'MAINTENANCE' && !event.on,
      hasIncident: ({ context }) => context.incidentId !== null,
    },
    actions: {
      countProbe: assign(({ context, event }) => (event.type === 'PROBE' ? countProbe(context, event) : {})),
      resetCounters: assign({ bad: 0, good: 0 }),
      markPhase: assign(({ event }) => ({ phaseSince: at(event), unblockedAt: null })),
      markUnblocked: assign(({ context, event }) => ({ unblockedAt: context.unblockedAt ?? at(event) })),
      clearUnblocked: assign({ unblockedAt: null }),
      startUnblocked: assign(({ event }) => ({ unblockedAt: at(event), bad: 1, good: 0 })),
      openIncident: assign(({ context, event }) => openIncident(context, at(event), policy, probeCode(event))),
      openManualIncident: assign(({ context, event }) =>
        context.incidentId !== null ? {} : openIncident(context, at(event), policy, context.lastSignature ?? 'ok'),
      ),
      emitOpened: emit(({ context, event }) => ({
        type: 'incident.opened' as const,
        incidentId: context.incidentId as string,
        at: at(event),
        signature: context.incidentSignature ?? 'ok',
        summary: context.lastSummary ?? 'triggered by an operator',
        penalty: Math.round(context.penalty),
        manual: event.type === 'TRIGGER_RUNG',
      })),
      startEntryRung: assign(({ context, event }) => startEntryRung(context, at(event), policy)),
      startManualRung: assign(({ context, event }) =>
        event.type === 'TRIGGER_RUNG' ? startManualRung(context, at(event), policy, event.rung) : {},
      ),
      retryRung: assign(({ context, event }) => retryRung(context, at(event), policy)),
      escalate: assign(({ context, event }) => escalate(context, at(event), policy)),
      afterEvacuation: assign(({ context, event }) => afterEvacuation(context, at(event), policy)),
      startEvacuationOnly: assign(({ context, event }) => startEvacuationOnly(context, at(event), policy)),
      startLeftoverEvacuation: assign(({ context, event }) => startLeftoverEvacuation(context, at(event), policy)),
      repairInPlace: assign(({ context, event }) => repairInPlace(context, at(event), policy)),
      setReasonOsRunning: assign(({ context }) => ({ reason: osRunningReason(context) })),
      reissueConfirmedOff: assign(({ context, event }) => reissueConfirmedOff(context, at(event), policy)),
      requestAction: emit(({ context, event }, params: { reason: string }) => ({
        type: 'action.requested' as const,
        at: at(event),
        action: context.pendingAction as PendingAction,
        reason: params.reason,
      })),
      clearAction: assign({ pendingAction: null }),
      setReasonFromError: assign(({ event }) => ({ reason: event.type === 'ACTION_DONE' ? (actionResultProblem(event.result) ?? 'blocked') : null })),
      emitAwaiting: emit(({ context, event }) => ({
        type: 'incident.awaiting-operator' as const,
        incidentId: context.incidentId as string,
        at: at(event),
        reason: context.reason ?? 'waiting for an operator',
      })),
      quarantineForFlapping: assign(({ context, event }) => ({
        reason: `flapping: penalty ${Math.round(context.penalty)} above ${policy.penalty.suppressAbove}`,
        pendingAction: null,
        leftoverRetryAt: leftoverRetryAfterQuarantine(context, at(event), policy),
      })),
      quarantineAfterEvacuation: assign(({ context, event }) => ({
        reason: context.reason ?? `flapping: penalty ${Math.round(context.penalty)} above ${policy.penalty.suppressAbove}; its VMs were moved to other hosts first`,
        pendingAction: null,
        evacuated: true,
        leftoverRetryAt: null,
      })),
      leftoversStillThere: assign(({ context, event }) => ({
        pendingAction: null,
        leftoverRetryAt: at(event) + LEFTOVER_RETRY_SECONDS * 1000,
        reason: context.reason,
      })),
      quarantineExhausted: assign(({ context, event }) => ({
        leftoverRetryAt: leftoverRetryAfterQuarantine(context, at(event), policy),
        reason:
          `ladder exhausted after rung ${context.rung ?? '?'}` +
          (event.type === 'ACTION_DONE' && actionResultProblem(event.result) ? `: ${actionResultProblem(event.result)}` : ': target did not recover in time'),
        pendingAction: null,
      })),
      emitQuarantined: emit(({ context, event }) => ({
        type: 'incident.quarantined' as const,
        incidentId: context.incidentId,
        at: at(event),
        reason: context.reason ?? 'quarantined',
      })),
      resolveIncident: emit(({ context, event }) => ({
        type: 'incident.resolved' as const,
        incidentId: context.incidentId as string,
        at: at(event),
      })),
      closeIncident: emit(({ context, event }) => ({
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
      forgetIncident: assign({
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
      }),
      forgetPenalty: assign(({ event }) => ({ penalty: 0, penaltyAt: at(event) })),
    },
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
          PROBE: [
            { guard: and(['probeBad', 'reachesFailAfter', 'probeBlocked']), target: 'blocked', actions: ['countProbe', 'resetCounters', 'markPhase'] },
            // Suspected because of its host, and now its own failure: the host incident just moved
            // it (or its host is back) and it is booting. It gets the boot grace of a blocked VM.
            { guard: and(['probeBad', 'reachesFailAfter', 'lastProbeBlamedHost']), target: 'blocked', actions: ['countProbe', 'markPhase', 'startUnblocked'] },
            { guard: and(['probeBad', 'reachesFailAfter']), target: 'failed', actions: ['countProbe', 'openIncident', 'emitOpened', 'markPhase'] },
            { guard: 'probeBad', target: 'suspect', actions: ['countProbe', 'markPhase'] },
            { actions: 'countProbe' },
          ],
          TRIGGER_RUNG: { target: 'recovering', actions: ['openManualIncident', 'emitOpened', 'startManualRung', { type: 'requestAction', params: { reason: 'rung triggered by an operator' } }, 'markPhase'] },
        },
      },
      suspect: {
        on: {
          PROBE: [
            { guard: and(['probeBad', 'reachesFailAfter', 'probeBlocked']), target: 'blocked', actions: ['countProbe', 'resetCounters', 'markPhase'] },
            // Suspected because of its host, and now its own failure: the host incident just moved
            // it (or its host is back) and it is booting. It gets the boot grace of a blocked VM.
            { guard: and(['probeBad', 'reachesFailAfter', 'lastProbeBlamedHost']), target: 'blocked', actions: ['countProbe', 'markPhase', 'startUnblocked'] },
            { guard: and(['probeBad', 'reachesFailAfter']), target: 'failed', actions: ['countProbe', 'openIncident', 'emitOpened', 'markPhase'] },
            { guard: 'probeBad', actions: 'countProbe' },
            { target: 'healthy', actions: ['countProbe', 'markPhase'] },
          ],
          TRIGGER_RUNG: { target: 'recovering', actions: ['openManualIncident', 'emitOpened', 'startManualRung', { type: 'requestAction', params: { reason: 'rung triggered by an operator' } }, 'markPhase'] },
        },
      },
      failed: {
        always: [
          {
            guard: and(['suppressed', 'evacuatesBeforeQuarantine']),
            target: 'recovering',
            actions: ['startEvacuationOnly', { type: 'requestAction', params: { reason: 'flapping: moving its VMs away before the host is quarantined' } }],
          },
          { guard: 'suppressed', target: 'quarantined', actions: ['quarantineForFlapping', 'emitQuarantined'] },
          { target: 'recovering', actions: ['startEntryRung', { type: 'requestAction', params: { reason: 'entry rung chosen from the failure signature and the flap penalty' } }] },
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
                { guard: and(['actionOk', 'wasHostEvacuation', 'nextIsQuarantine']), target: '#recovery.quarantined', actions: ['quarantineAfterEvacuation', 'emitQuarantined', 'markPhase'] },
                { guard: and(['actionOk', 'wasHostEvacuation']), target: 'acting', reenter: true, actions: ['afterEvacuation', { type: 'requestAction', params: { reason: 'VMs moved away; now repairing the host' } }] },
                { guard: 'actionOk', target: 'verifying', actions: ['clearAction', 'resetCounters', 'markPhase'] },
                { guard: 'actionBlocked', target: '#recovery.awaitingOperator', actions: ['setReasonFromError', 'emitAwaiting', 'markPhase'] },
                { guard: and(['actionNoRoom', 'canRepairInPlace']), target: 'acting', reenter: true, actions: ['repairInPlace', { type: 'requestAction', params: { reason: 'no healthy host has room for its VMs: repairing the host in place' } }] },
                { guard: 'canRetry', target: 'acting', reenter: true, actions: ['retryRung', { type: 'requestAction', params: { reason: 'same rung again (attempts left)' } }] },
                { guard: 'hasNextRung', target: 'acting', reenter: true, actions: ['escalate', { type: 'requestAction', params: { reason: 'previous rung did not bring the target back' } }] },
                { target: '#recovery.quarantined', actions: ['quarantineExhausted', 'emitQuarantined', 'markPhase'] },
              ],
            },
          },
          verifying: {
            on: {
              PROBE: [
                { guard: 'probeBlocked', target: '#recovery.blocked', actions: ['countProbe', 'resetCounters', 'closeIncident', 'forgetIncident', 'markPhase'] },
                { guard: and(['probeGood', 'reachesRecoverAfter']), target: '#recovery.healthy', actions: ['countProbe', 'resolveIncident', 'forgetIncident', 'markPhase'] },
                { guard: and(['deadlinePassed', 'canRetry']), target: 'acting', actions: ['countProbe', 'retryRung', { type: 'requestAction', params: { reason: 'same rung again (attempts left)' } }, 'markPhase'] },
                { guard: and(['deadlinePassed', 'reinstallWontHelp']), target: '#recovery.awaitingOperator', actions: ['countProbe', 'clearAction', 'setReasonOsRunning', 'emitAwaiting', 'markPhase'] },
                { guard: and(['deadlinePassed', 'hasNextRung']), target: 'acting', actions: ['countProbe', 'escalate', { type: 'requestAction', params: { reason: 'previous rung did not bring the target back' } }, 'markPhase'] },
                { guard: 'deadlinePassed', target: '#recovery.quarantined', actions: ['countProbe', 'quarantineExhausted', 'emitQuarantined', 'markPhase'] },
                { actions: 'countProbe' },
              ],
              TICK: [
                { guard: and(['deadlinePassed', 'canRetry']), target: 'acting', actions: ['retryRung', { type: 'requestAction', params: { reason: 'same rung again (attempts left)' } }, 'markPhase'] },
                { guard: and(['deadlinePassed', 'reinstallWontHelp']), target: '#recovery.awaitingOperator', actions: ['clearAction', 'setReasonOsRunning', 'emitAwaiting', 'markPhase'] },
                { guard: and(['deadlinePassed', 'hasNextRung']), target: 'acting', actions: ['escalate', { type: 'requestAction', params: { reason: 'previous rung did not bring the target back' } }, 'markPhase'] },
                { guard: 'deadlinePassed', target: '#recovery.quarantined', actions: ['quarantineExhausted', 'emitQuarantined', 'markPhase'] },
              ],
              TRIGGER_RUNG: { target: 'acting', actions: ['startManualRung', { type: 'requestAction', params: { reason: 'rung triggered by an operator' } }, 'markPhase'] },
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
            // Its host is back (or it was started elsewhere) but it still fails after its boot
            // grace: now it is this VM's own incident. Within the grace it is booting.
            { guard: 'graceOver', target: 'failed', actions: ['countProbe', 'openIncident', 'emitOpened', 'markPhase'] },
            // A domain that is not running (shut off with its host, or gone) is not booting: no
            // grace beyond the usual failAfter probes.
            { guard: and(['probeDomainDown', 'reachesFailAfter']), target: 'failed', actions: ['countProbe', 'openIncident', 'emitOpened', 'markPhase'] },
            { actions: ['countProbe', 'markUnblocked'] },
          ],
          TRIGGER_RUNG: { target: 'recovering', actions: ['openManualIncident', 'emitOpened', 'startManualRung', { type: 'requestAction', params: { reason: 'rung triggered by an operator' } }, 'markPhase'] },
        },
      },
      awaitingOperator: {
        on: {
          CONFIRM_OFF: { target: 'recovering.acting', actions: ['reissueConfirmedOff', { type: 'requestAction', params: { reason: 'operator confirmed the host is off' } }, 'markPhase'] },
          PROBE: [
            { guard: and(['probeGood', 'reachesRecoverAfter']), target: 'healthy', actions: ['countProbe', 'resolveIncident', 'forgetIncident', 'markPhase'] },
            { actions: 'countProbe' },
          ],
          RELEASE: { target: 'healthy', actions: ['closeIncident', 'forgetIncident', 'resetCounters', 'markPhase'] },
          TRIGGER_RUNG: { target: 'recovering', actions: ['startManualRung', { type: 'requestAction', params: { reason: 'rung triggered by an operator' } }, 'markPhase'] },
        },
      },
      quarantined: {
        on: {
          PROBE: [
            {
              guard: 'leftoversDue',
              target: 'recovering',
              actions: ['countProbe', 'startLeftoverEvacuation', { type: 'requestAction', params: { reason: 'VMs still recorded on the quarantined host: starting them elsewhere' } }, 'markPhase'],
            },
            { actions: 'countProbe' },
          ],
          RELEASE: [
            { guard: 'hasIncident', target: 'healthy', actions: ['closeIncident', 'forgetIncident', 'forgetPenalty', 'resetCounters', 'markPhase'] },
            { target: 'healthy', actions: ['forgetPenalty', 'resetCounters', 'markPhase'] },
          ],
          TRIGGER_RUNG: { target: 'recovering', actions: ['openManualIncident', 'emitOpened', 'startManualRung', { type: 'requestAction', params: { reason: 'rung triggered by an operator' } }, 'markPhase'] },
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
