/**
 * The recovery machine's guards, by name. Each reads the event and the context only; the policy
 * (thresholds, flap limit, grace) is bound once when the machine is made.
 */
import { isBlockedSignature } from '../ladder.js';
import type { RecoveryContext } from '../context.js';
import { evacuatesFirst, leftoversDue, movingLeftovers, wasHostEvacuation } from '../escalation/evacuation.js';
import { canReinstallAboard, canRepairInPlace, canRepairInPlaceWhileHeld } from '../escalation/host-repair.js';
import { reinstallUnjustified } from '../escalation/reinstall-evidence.js';
import { actingOverdue, holdOver, holdTooLong, isNewHoldReason } from '../escalation/holding.js';
import { canRetry, hasNextRung, nextIsQuarantine, spentRungRerunsUsed } from '../escalation/rung-step.js';
import { dampedRungHarmless } from '../escalation/entry-rung.js';
import { suppressed } from '../incident.js';
import type { Policy } from '../policy.js';
import { eventTime, type RecoveryEvent } from './events.js';

interface GuardArgs {
  context: RecoveryContext;
  event: RecoveryEvent;
}

export function recoveryGuards(policy: Policy) {
  return {
    // Probes and hysteresis.
    probeBad: ({ event }: GuardArgs) => event.type === 'PROBE' && !event.signature.healthy,
    probeGood: ({ event }: GuardArgs) => event.type === 'PROBE' && event.signature.healthy,
    probeMovedHost: ({ event }: GuardArgs) => event.type === 'PROBE' && event.movedHost === true,
    probeBlocked: ({ event }: GuardArgs) => event.type === 'PROBE' && isBlockedSignature(event.signature.code),
    lastProbeBlamedHost: ({ context }: GuardArgs) => context.kind === 'vm' && context.lastSignature !== null && isBlockedSignature(context.lastSignature),
    probeDomainDown: ({ event }: GuardArgs) => event.type === 'PROBE' && (event.signature.code === 'vm-crashed' || event.signature.code === 'vm-missing'),
    reachesFailAfter: ({ context }: GuardArgs) => context.bad + 1 >= policy.failAfter,
    reachesRecoverAfter: ({ context }: GuardArgs) => context.good + 1 >= policy.recoverAfter,
    graceOver: ({ context, event }: GuardArgs) =>
      context.unblockedAt !== null && eventTime(event) - context.unblockedAt >= policy.blockedGraceSeconds * 1000,

    // Action results.
    isCurrentAction: ({ context, event }: GuardArgs) =>
      event.type === 'ACTION_DONE' && context.pendingAction !== null && event.actionId === context.pendingAction.id,
    actionOk: ({ event }: GuardArgs) => event.type === 'ACTION_DONE' && event.result.outcome === 'ok',
    actionBlocked: ({ event }: GuardArgs) => event.type === 'ACTION_DONE' && event.result.outcome === 'blocked',
    actionNoRoom: ({ event }: GuardArgs) => event.type === 'ACTION_DONE' && event.result.outcome === 'no-room',
    actionHeld: ({ event }: GuardArgs) => event.type === 'ACTION_DONE' && event.result.outcome === 'held',
    newHoldReason: ({ context, event }: GuardArgs) => event.type === 'ACTION_DONE' && event.result.outcome === 'held' && isNewHoldReason(context, event.result.reason),
    holdOver: ({ context, event }: GuardArgs) => holdOver(context, eventTime(event)),
    holdTooLong: ({ context, event }: GuardArgs) => holdTooLong(context, eventTime(event), policy.safety.holdToPersonSeconds),
    actingOverdue: ({ context, event }: GuardArgs) => event.type === 'TICK' && actingOverdue(context, eventTime(event)),

    // Escalation policy.
    suppressed: ({ context }: GuardArgs) => suppressed(context, policy),
    dampedRungHarmless: ({ context }: GuardArgs) => dampedRungHarmless(context),
    evacuatesBeforeQuarantine: ({ context }: GuardArgs) => evacuatesFirst(context, policy),
    wasHostEvacuation: ({ context }: GuardArgs) => wasHostEvacuation(context),
    canRepairInPlace: ({ context }: GuardArgs) => canRepairInPlace(context),
    canReinstallAboard: ({ context }: GuardArgs) => canReinstallAboard(context),
    canRepairInPlaceWhileHeld: ({ context }: GuardArgs) => canRepairInPlaceWhileHeld(context),
    nextIsQuarantine: ({ context }: GuardArgs) => nextIsQuarantine(context),
    leftoversDue: ({ context, event }: GuardArgs) => event.type === 'PROBE' && leftoversDue(context, event),
    movingLeftovers: ({ context }: GuardArgs) => movingLeftovers(context),
    // A no-room result counts before noteNoRoom has recorded it (guards run before actions).
    reinstallUnjustified: ({ context, event }: GuardArgs) =>
      reinstallUnjustified(
        event.type === 'ACTION_DONE' && event.result.outcome === 'no-room' ? { ...context, noRoomForVms: true } : context,
        event.type === 'PROBE' ? event.signature.code : context.lastSignature,
      ),
    spentRungRerunsUsed: ({ context }: GuardArgs) => spentRungRerunsUsed(context),
    // A target answering again is given its recoverAfter probes even past the rung deadline.
    deadlinePassed: ({ context, event }: GuardArgs) =>
      eventTime(event) >= context.rungDeadline && (event.type === 'PROBE' ? !event.signature.healthy : context.good === 0),
    canRetry: ({ context }: GuardArgs) => canRetry(context, policy),
    hasNextRung: ({ context }: GuardArgs) => hasNextRung(context),

    // Operator.
    maintenanceOn: ({ event }: GuardArgs) => event.type === 'MAINTENANCE' && event.on,
    maintenanceOff: ({ event }: GuardArgs) => event.type === 'MAINTENANCE' && !event.on,
    hasIncident: ({ context }: GuardArgs) => context.incidentId !== null,
  };
}
