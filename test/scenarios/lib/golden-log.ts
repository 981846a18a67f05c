/**
 * The golden log of a scenario: one line per fault applied, phase transition, incident event,
 * action requested and action finished, with virtual seconds since the scenario's start:
 *
 *      95.0 fault          host hv1 hang
 *     110.0 host:hv1       healthy -> suspect
 *     120.0 host:hv1       action fence-migrate (rung 4 fence-migrate, attempt 1) requested: ...
 *
 * Built from the controller's events only (never ids, uuids or wall-clock values), so the same
 * scenario always gives the same text. Event fields are read defensively: a small change of the
 * controller's event types must not change the lines.
 */

/** Column width of the subject (`fault`, `host:hv1`, `vm:web1`, `operator`). */
const SUBJECT_WIDTH = 14;

export function logLine(seconds: number, subject: string, message: string): string {
  return `${seconds.toFixed(1).padStart(7)} ${subject.padEnd(SUBJECT_WIDTH)} ${message}`;
}

type Loose = Record<string, unknown>;

function text(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/**
 * How an action ended, as one text for both shapes of the result: the union
 * `{ outcome: 'ok' | 'blocked' | 'no-room' | 'failed', reason?, error? }` and the older
 * `{ ok, blocked?, noRoom?, error? }`.
 */
export function describeActionResult(result: unknown): string {
  const r = (result ?? {}) as Loose;
  let outcome: string;
  if (typeof r.outcome === 'string') outcome = r.outcome;
  else if (r.ok === true) outcome = 'ok';
  else if (r.blocked === true) outcome = 'blocked';
  else if (r.noRoom === true) outcome = 'no-room';
  else outcome = 'failed';
  if (outcome === 'ok') return 'ok';
  const why = text(r.reason) || text(r.error);
  return why ? `${outcome}: ${why}` : outcome;
}

/** `rung 4 fence-migrate` from an action (its rung number and the name of that rung). */
function rungText(action: Loose, rungNames: readonly string[]): string {
  // Stored under the rung of the evacuation that left the copies behind, but it is no rung: it is
  // the host coming back, cleaned before it counts toward healthy.
  if (action.kind === 'remove-stale-copies') return 'cleanup of an evacuated host, no rung';
  const rung = typeof action.rung === 'number' ? action.rung : NaN;
  return `rung ${rung} ${rungNames[rung] ?? '?'}`;
}

/**
 * One event of the controller as a log line, or null for events the golden log leaves out
 * (inventory changes). `start` is the virtual epoch of the scenario's second 0.
 */
export function formatControllerEvent(event: unknown, start: number, rungNames: readonly string[]): string | null {
  const e = event as Loose;
  const secs = (at: unknown) => (typeof at === 'number' ? (at - start) / 1000 : NaN);
  const subject = text(e.targetId);
  switch (e.type) {
    case 'phase':
      return logLine(secs(e.at), subject, `${text(e.from)} -> ${text(e.to)}`);
    case 'action-done': {
      const a = (e.action ?? {}) as Loose;
      const took = (Number(e.at) - Number(e.startedAt)) / 1000;
      return logLine(secs(e.at), subject, `action ${text(a.kind)} (${rungText(a, rungNames)}) finished after ${took.toFixed(1)} s: ${describeActionResult(e.result)}`);
    }
    case 'emitted':
      return formatEmitted((e.event ?? {}) as Loose, subject, secs, rungNames);
    default:
      return null;
  }
}

function formatEmitted(ev: Loose, subject: string, secs: (at: unknown) => number, rungNames: readonly string[]): string {
  const t = secs(ev.at);
  switch (ev.type) {
    case 'incident.opened':
      return logLine(t, subject, `incident opened: ${text(ev.signature)}${ev.manual === true ? ' (by an operator)' : ''}, penalty ${Math.round(Number(ev.penalty))}: ${text(ev.summary)}`);
    case 'action.requested': {
      const a = (ev.action ?? {}) as Loose;
      const confirmed = a.operatorConfirmedOff === true ? ', off confirmed by a person' : '';
      return logLine(t, subject, `action ${text(a.kind)} (${rungText(a, rungNames)}, attempt ${text(a.attempt)}${confirmed}) requested: ${text(ev.reason)}`);
    }
    case 'incident.resolved':
      return logLine(t, subject, ev.note ? `incident resolved: ${text(ev.note)}` : 'incident resolved');
    case 'incident.quarantined':
      return logLine(t, subject, `incident quarantined: ${text(ev.reason)}`);
    case 'incident.awaiting-operator':
      return logLine(t, subject, `incident awaiting operator: ${text(ev.reason)}`);
    case 'incident.closed':
      return logLine(t, subject, `incident closed: ${text(ev.reason)}`);
    default: {
      // A new kind of event appears in the log rather than vanishing: the reviewer sees it.
      const what = text(ev.type).replace(/^incident\./, 'incident ');
      const why = text(ev.reason);
      return logLine(t, subject, why ? `${what}: ${why}` : what);
    }
  }
}
