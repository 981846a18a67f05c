/**
 * Builds the dashboard's snapshot from the controller (live status, health) and the store
 * (inventory, incidents with their timelines and actions, each target's persisted machine context,
 * the leader lease). Read-only; one call per page refresh.
 */
import { RUNG_TABLE } from '../../core/rungs.js';
import type { ControllerApi, TargetStatus } from '../../controller/types.js';
import type { ActionRecord, IncidentDetail, IncidentEventRecord, Store } from '../../store/types.js';
import type { Principal } from '../plugins/auth.js';
import { toIso } from '../schemas/common.js';
import { healthOut, incidentOut, statusOut } from '../serialize.js';
import { nextStepOf, type ContextView } from './next-step.js';
import { pairView } from '../../controller/pair-view.js';
import type { DashboardIncident, DashboardOut, DashboardTarget, TimelineEntry } from './snapshot-schema.js';

/** Resolved incidents shown (and plotted); a page, not the history: `3rc incidents` has the rest. */
export const RECENT_INCIDENTS = 50;
/** Timeline entries kept per open incident: the newest (a long hold records a line per recheck). */
export const TIMELINE_LIMIT = 200;
/** The leader lease row every controller of a database shares (src/controller/leadership.ts). */
const LEASE_NAME = 'default';

/** The machine context inside a persisted XState snapshot, if it looks like one. */
export function contextOf(snapshot: unknown): ContextView {
  const parsed = typeof snapshot === 'string' ? safeJson(snapshot) : snapshot;
  if (parsed && typeof parsed === 'object' && 'context' in parsed) {
    const ctx = (parsed as { context: unknown }).context;
    if (ctx && typeof ctx === 'object') return ctx as ContextView;
  }
  return {};
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function actionEntry(a: ActionRecord): TimelineEntry {
  return {
    at: toIso(a.startedAt),
    kind: 'action',
    message: `${a.kind} (rung ${a.rung}, attempt ${a.attempt})${a.error ? `: ${a.error}` : ''}`,
    durationSeconds: a.finishedAt === null || a.finishedAt === undefined ? null : Math.max(0, (a.finishedAt - a.startedAt) / 1000),
    outcome: a.outcome ?? (a.finishedAt ? null : 'running'),
  };
}

const eventEntry = (e: IncidentEventRecord): TimelineEntry => ({ at: toIso(e.at), kind: e.kind, message: e.message, durationSeconds: null, outcome: null });

/**
 * Transitions, probes, milestones and operator lines from the incident's events, and each action
 * once with its duration (its start/end events are folded into that one line), oldest first.
 */
export function timelineOf(d: IncidentDetail): TimelineEntry[] {
  const lines = [
    ...d.events.filter((e) => e.kind !== 'action-start' && e.kind !== 'action-end').map((e) => ({ ms: e.at, entry: eventEntry(e) })),
    ...d.actions.map((a) => ({ ms: a.startedAt, entry: actionEntry(a) })),
  ];
  lines.sort((a, b) => a.ms - b.ms);
  return lines.slice(-TIMELINE_LIMIT).map((l) => l.entry);
}

export async function buildDashboard(controller: ControllerApi, principal: Principal): Promise<DashboardOut> {
  const store: Store = controller.store;
  const [health, hosts, vms, states, open, recent, lease, heartbeats] = await Promise.all([
    controller.health(),
    store.listHosts(),
    store.listVms(),
    store.listTargetStates(),
    store.listIncidents({ open: true, limit: 100 }),
    store.listIncidents({ open: false, limit: RECENT_INCIDENTS }),
    store.getLease(LEASE_NAME),
    store.listHeartbeats(LEASE_NAME),
  ]);
  const contexts = new Map(states.map((s) => [s.targetId, contextOf(s.snapshot)]));
  const roles = new Map(hosts.map((h) => [h.name, h.role]));
  const placement = new Map(vms.map((v) => [v.name, v.currentHost]));
  const statuses = new Map<string, TargetStatus>(controller.status().map((s) => [s.targetId, s]));
  const guard = health.safetyGuard;
  const ctxOf = (id: TargetStatus['targetId']): ContextView => contexts.get(id) ?? {};

  const targets: DashboardTarget[] = [...statuses.values()].map((s) => ({
    ...statusOut(s),
    role: s.kind === 'host' ? (roles.get(s.name) ?? null) : null,
    host: s.kind === 'vm' ? (placement.get(s.name) ?? null) : null,
    next: nextStepOf(s, ctxOf(s.targetId), guard),
  }));

  const details = await Promise.all(open.map((i) => store.getIncident(i.id)));
  const openIncidents: DashboardIncident[] = details
    .filter((d): d is IncidentDetail => d !== null)
    .map((d) => {
      const s = statuses.get(d.targetId);
      const ctx = ctxOf(d.targetId);
      // Rung times belong to this incident only while its target is on the ladder.
      const onLadder = s !== undefined && s.incidentId === d.id && s.rung !== null;
      return {
        ...incidentOut(d),
        phase: s?.phase ?? null,
        rungName: RUNG_TABLE[d.currentRung]?.name ?? null,
        rungStartedAt: onLadder && ctx.rungStartedAt ? toIso(ctx.rungStartedAt) : null,
        rungDeadline: onLadder && ctx.rungDeadline ? toIso(ctx.rungDeadline) : null,
        next: s ? nextStepOf(s, ctx, guard) : null,
        timeline: timelineOf(d),
      };
    });

  const h = healthOut(health);
  const pair = pairView(lease, heartbeats, health.now);
  return {
    generatedAt: h.now,
    principal,
    controller: {
      leader: h.leader,
      epoch: h.epoch,
      holder: h.holder,
      env: h.env,
      store: h.store,
      startedAt: h.startedAt,
      safetyGuard: h.safetyGuard,
      destructiveInFlight: h.destructiveInFlight,
      openIncidents: h.openIncidents,
      probeCycles: h.probeCycles,
      lease: lease ? { holder: lease.holder, epoch: lease.epoch, expiresAt: toIso(lease.expiresAt), rank: lease.rank } : null,
      leaderUrl: pair.leaderUrl,
      standbys: pair.standbys.map(({ controller: id, lastSeenAt, ...m }) => ({ id, ...m, lastSeenAt: toIso(lastSeenAt) })),
    },
    rungs: RUNG_TABLE.map((r) => ({ number: r.number, name: r.name, kinds: [...r.kinds], destructive: r.destructive, summary: r.summary })),
    targets,
    openIncidents,
    recentIncidents: recent.map(incidentOut),
  };
}
