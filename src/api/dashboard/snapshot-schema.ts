/**
 * The dashboard's one read: everything the page shows, in one answer (GET /api/v1/dashboard), so
 * a change signal on the event stream is answered by one refetch, never by N requests.
 */
import { z } from 'zod';
import { ROLES } from '../../store/types.js';
import { isoTimeSchema } from '../schemas/common.js';
import { IncidentOutSchema } from '../schemas/incident.js';
import { HealthOutSchema, TargetStatusOutSchema } from '../schemas/target.js';

/** What the controller will do next for a target, or why it holds, and when that changes. */
export const NextStepSchema = z.object({
  /** One of: act, verify, watch, hold, person, none. */
  mode: z.enum(['act', 'verify', 'watch', 'hold', 'person', 'none']),
  what: z.string(),
  why: z.string(),
  /** When the controller looks again or escalates, if it will. */
  at: isoTimeSchema.nullable(),
});
export type NextStep = z.infer<typeof NextStepSchema>;

export const DashboardTargetSchema = TargetStatusOutSchema.extend({
  /** Hosts: primary / spare. VMs: the host the store places it on. */
  role: z.string().nullable(),
  host: z.string().nullable(),
  next: NextStepSchema.nullable(),
});

export const TimelineEntrySchema = z.object({
  at: isoTimeSchema,
  kind: z.string(),
  message: z.string(),
  /** Actions: how long they ran (null while running). */
  durationSeconds: z.number().nullable(),
  outcome: z.string().nullable(),
});

export const DashboardIncidentSchema = IncidentOutSchema.extend({
  phase: z.string().nullable(),
  rungName: z.string().nullable(),
  rungStartedAt: isoTimeSchema.nullable(),
  rungDeadline: isoTimeSchema.nullable(),
  next: NextStepSchema.nullable(),
  timeline: z.array(TimelineEntrySchema),
});

export const DashboardSchema = z.object({
  generatedAt: isoTimeSchema,
  /** Who asks: the page enables operator buttons from this (the server refuses anyway). */
  principal: z.object({ name: z.string(), role: z.enum(ROLES) }),
  controller: HealthOutSchema.pick({ leader: true, epoch: true, holder: true, env: true, store: true, startedAt: true, safetyGuard: true, destructiveInFlight: true, openIncidents: true, probeCycles: true }).extend({
    /** The shared lease row: who leads, until when, at which rank (null: single controller without a lease yet). */
    lease: z.object({ holder: z.string(), epoch: z.int(), expiresAt: isoTimeSchema, rank: z.int() }).nullable(),
    /** The leader's API address from its heartbeat row (src/controller/heartbeat.ts), if known. */
    leaderUrl: z.string().nullable(),
    /** Every other controller with a heartbeat row; fresh: seen within 3 lease renewal periods. */
    standbys: z.array(
      z.object({
        id: z.string(),
        rank: z.int(),
        role: z.enum(['leader', 'standby']),
        apiUrl: z.string().nullable(),
        lastSeenAt: isoTimeSchema,
        epochSeen: z.int().nullable(),
        fresh: z.boolean(),
      }),
    ),
  }),
  rungs: z.array(z.object({ number: z.int(), name: z.string(), kinds: z.array(z.enum(['host', 'vm'])), destructive: z.boolean(), summary: z.string() })),
  targets: z.array(DashboardTargetSchema),
  openIncidents: z.array(DashboardIncidentSchema),
  recentIncidents: z.array(IncidentOutSchema),
});
export type DashboardOut = z.infer<typeof DashboardSchema>;
export type DashboardTarget = z.infer<typeof DashboardTargetSchema>;
export type DashboardIncident = z.infer<typeof DashboardIncidentSchema>;
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;
