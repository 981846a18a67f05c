/**
 * Which controller events people hear about, and what each notification says: incident opened,
 * escalated (a move to another rung; a retry of the same rung is not one), awaiting a person,
 * resolved (recovered, or closed by itself), quarantined; and the storm guard going on and off,
 * read from the controller's health on a timer (it has no event of its own).
 */
import type { ControllerEvent } from '../controller/controller-events.js';
import type { ControllerHealth } from '../controller/types.js';
import { rungName } from '../core/rungs.js';
import type { Clock, Logger } from '../env/env.js';
import { errorText } from '../errors.js';
import type { NotificationInput } from './types.js';

type Publish = (input: NotificationInput) => unknown;

/** A listener for controller.onEvent that publishes what people must hear about. */
export function controllerNotifications(publish: Publish): (e: ControllerEvent) => void {
  // Per open incident: its rung (to tell an escalation from a retry) and when it opened.
  const open = new Map<string, { rung: number | null; openedAt: number }>();
  return (e) => {
    if (e.type !== 'emitted') return;
    const { targetId, event: ev } = e;
    switch (ev.type) {
      case 'incident.opened':
        open.set(ev.incidentId, { rung: null, openedAt: ev.at });
        publish({ type: 'incident-opened', at: ev.at, data: { incidentId: ev.incidentId, targetId, signature: ev.signature, summary: ev.summary, penalty: ev.penalty, manual: ev.manual } });
        return;
      case 'action.requested': {
        const known = open.get(ev.action.incidentId) ?? { rung: null, openedAt: ev.at };
        const from = known.rung;
        open.set(ev.action.incidentId, { ...known, rung: ev.action.rung });
        if (from === null || from === ev.action.rung) return;
        publish({
          type: 'incident-escalated',
          at: ev.at,
          data: { incidentId: ev.action.incidentId, targetId, fromRung: from, fromRungName: rungName(from), rung: ev.action.rung, rungName: rungName(ev.action.rung), reason: ev.reason },
        });
        return;
      }
      case 'incident.awaiting-operator':
        publish({ type: 'incident-awaiting-operator', at: ev.at, data: { incidentId: ev.incidentId, targetId, reason: ev.reason } });
        return;
      case 'incident.quarantined':
        if (ev.incidentId !== null) open.delete(ev.incidentId);
        publish({ type: 'incident-quarantined', at: ev.at, data: { incidentId: ev.incidentId, targetId, reason: ev.reason } });
        return;
      case 'incident.resolved':
      case 'incident.closed': {
        const known = open.get(ev.incidentId);
        open.delete(ev.incidentId);
        const how = ev.type === 'incident.resolved' ? { how: 'recovered', ...(ev.note ? { note: ev.note } : {}) } : { how: 'closed', reason: ev.reason };
        publish({
          type: 'incident-resolved',
          at: ev.at,
          data: {
            incidentId: ev.incidentId,
            targetId,
            ...how,
            rung: known?.rung ?? null,
            rungName: rungName(known?.rung ?? null),
            ...(known ? { recoverySeconds: (ev.at - known.openedAt) / 1000 } : {}),
          },
        });
        return;
      }
      default:
        return;
    }
  };
}

/**
 * Publishes storm-guard-on / -off when the controller's guard changes (polled every `everyMs` on
 * the controller's clock; a guard already on at the first reading is published too).
 * Returns the function that stops the polling.
 */
export function watchStormGuard(deps: {
  health: () => Promise<Pick<ControllerHealth, 'safetyGuard' | 'leader'>>;
  clock: Clock;
  log: Logger;
  everyMs: number;
  publish: Publish;
}): () => void {
  let last: boolean | null = null;
  let timer: unknown = null;
  let stopped = false;
  const check = async (): Promise<void> => {
    try {
      const { safetyGuard, leader } = await deps.health();
      // A standby acts on nothing: only the leader's guard is news.
      if (!leader || stopped) return;
      if (safetyGuard.on !== (last ?? false)) {
        deps.publish({ type: safetyGuard.on ? 'storm-guard-on' : 'storm-guard-off', data: { reason: safetyGuard.reason } });
      }
      last = safetyGuard.on;
    } catch (e) {
      deps.log.warn({ error: errorText(e) }, 'storm guard state not read');
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = deps.clock.setTimeout(() => {
      timer = null;
      void check().finally(schedule);
    }, deps.everyMs);
  };
  schedule();
  return () => {
    stopped = true;
    if (timer !== null) deps.clock.clearTimeout(timer);
  };
}
