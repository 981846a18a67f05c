/**
 * The three promises of a restart, checked after a chaos run:
 * - no incident lost: every incident in the store at the kill is there after, and has ended
 *   resolved or with a person (awaiting-operator, quarantined); none is left open;
 * - no destructive action repeated: at most one power cycle, one effective power off and one PXE
 *   reinstall per action of a host (an action's span in the store runs from its first start to its
 *   end, across controllers), and none outside any action;
 * - no VM started twice: never live on two hosts, and never a defineAndStart while it is live.
 */
import type { TargetStatus } from '../../../src/controller/types.js';
import type { Store } from '../../../src/store/types.js';
import type { Landed } from './recording-env.js';

export interface RunFacts {
  store: Store;
  incidentsAtKill: string[];
  landed: Landed[];
  /** VMs seen live on two hosts (checked every simulated second). */
  twoHosts: string[];
  status: TargetStatus[];
  /** Virtual time of the run's start (messages in seconds since). */
  start: number;
}

/** Ended: resolved, with a person, or closed by the controller with its reason (superseded by its host's incident). */
const ENDED = new Set(['resolved', 'awaiting-operator', 'quarantined', 'cancelled']);

interface Span {
  actionId: string;
  from: number;
  to: number;
}

export interface RunVerdicts {
  violations: string[];
  /** What the restart decided, per interrupted action (`<kind> <verdict>`): the coverage of the run. */
  restartVerdicts: string[];
}

export async function checkRun(f: RunFacts): Promise<RunVerdicts> {
  const out: string[] = [];
  const restartVerdicts: string[] = [];
  const s = (at: number) => `${Math.round((at - f.start) / 1000)} s`;

  // 1. Incidents.
  const incidents = await f.store.listIncidents();
  const byId = new Map(incidents.map((i) => [i.id, i]));
  for (const id of f.incidentsAtKill) if (!byId.has(id)) out.push(`incident ${id} (in the store at the kill) is lost`);
  for (const i of incidents) {
    if (!ENDED.has(i.state) || (i.state === 'cancelled' && !i.note)) out.push(`incident ${i.id} ended ${i.state}${i.note ? ` (${i.note})` : ''}`);
  }
  for (const t of f.status) {
    if (!['healthy', 'awaiting-operator', 'quarantined'].includes(t.phase)) out.push(`${t.targetId} still ${t.phase} at the end`);
  }

  // 2. Destructive actions per action span of each host.
  const spans = new Map<string, Span[]>();
  for (const i of incidents) {
    if (i.targetKind !== 'host') continue;
    const detail = await f.store.getIncident(i.id);
    const starts = new Map<string, number>();
    const ends = new Map<string, number>();
    for (const e of detail?.events ?? []) {
      const id = (e.data as { actionId?: unknown } | undefined)?.actionId;
      const verdict = (e.data as { verdict?: unknown } | undefined)?.verdict;
      if (e.kind === 'restart' && typeof verdict === 'string') restartVerdicts.push(`${String(id).replace(/^.*-r/, 'r')} ${verdict}`);
      if (typeof id !== 'string') continue;
      if (e.kind === 'action-start' && !starts.has(id)) starts.set(id, e.at);
      if (e.kind === 'action-end') ends.set(id, e.at);
    }
    const list = spans.get(i.targetName) ?? [];
    for (const [id, from] of starts) list.push({ actionId: id, from, to: ends.get(id) ?? Number.POSITIVE_INFINITY });
    spans.set(i.targetName, list);
  }
  const perSpan = new Map<string, number>();
  for (const l of f.landed) {
    if (l.kind === 'start') continue;
    const span = (spans.get(l.host) ?? []).find((x) => x.from <= l.at && l.at <= x.to);
    if (!span) {
      out.push(`${l.kind} of ${l.host} at ${s(l.at)} outside any recorded action`);
      continue;
    }
    const key = `${span.actionId} ${l.kind}`;
    const n = (perSpan.get(key) ?? 0) + 1;
    perSpan.set(key, n);
    if (n > 1) out.push(`${l.kind} of ${l.host} repeated at ${s(l.at)} within action ${span.actionId}`);
  }

  // 3. VM starts.
  for (const l of f.landed) {
    if (l.kind === 'start' && l.liveBefore.length > 0) out.push(`${l.vm} started on ${l.host} at ${s(l.at)} while live on ${l.liveBefore.join(', ')}`);
  }
  for (const t of f.twoHosts) out.push(`on two hosts: ${t}`);
  return { violations: out, restartVerdicts };
}
