/** Incidents with their timelines, the actions taken, and the audit log (read-only views). */
import { z } from 'zod';
import { AUDIT_OUTCOMES } from '../../store/types.js';
import { isoTimeSchema, limitSchema } from './common.js';

export const INCIDENT_STATES = ['open', 'recovering', 'awaiting-operator', 'resolved', 'quarantined', 'cancelled'] as const;

export const IncidentsQuerySchema = z.strictObject({
  open: z.stringbool().optional().describe('true: only incidents not yet resolved'),
  target: z.string().min(1).optional().describe('host:<name>, vm:<name> or a unique bare name'),
  limit: limitSchema.optional(),
});
export const IncidentParamsSchema = z.strictObject({ id: z.string().min(1) });
export const ActionsQuerySchema = z.strictObject({
  incident: z.string().min(1).optional(),
  limit: limitSchema.optional(),
});
export const AuditQuerySchema = z.strictObject({
  limit: limitSchema.optional(),
  actor: z.string().min(1).max(64).optional().describe('token name (or controller)'),
  target: z.string().min(1).max(200).optional().describe('host:<name>, vm:<name>, token:<name>'),
  since: isoTimeSchema.optional().describe('ISO-8601, inclusive'),
  outcome: z.enum(AUDIT_OUTCOMES).optional(),
});

export const IncidentOutSchema = z.object({
  id: z.string(),
  targetId: z.string(),
  targetKind: z.enum(['host', 'vm']),
  targetName: z.string(),
  detectedAt: isoTimeSchema,
  signature: z.string(),
  signatureSummary: z.string(),
  entryRung: z.int(),
  currentRung: z.int(),
  state: z.enum(INCIDENT_STATES),
  resolvedAt: isoTimeSchema.nullable(),
  recoverySeconds: z.number().nullable(),
  note: z.string().nullable(),
});
export type IncidentOut = z.infer<typeof IncidentOutSchema>;

export const IncidentEventOutSchema = z.object({
  at: isoTimeSchema,
  kind: z.string(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});

export const ActionOutSchema = z.object({
  id: z.string(),
  incidentId: z.string(),
  targetId: z.string(),
  rung: z.int(),
  kind: z.string(),
  attempt: z.int(),
  startedAt: isoTimeSchema,
  finishedAt: isoTimeSchema.nullable(),
  outcome: z.enum(['ok', 'failed', 'blocked', 'held', 'interrupted']).nullable(),
  error: z.string().nullable(),
  fencingToken: z.int().nullable(),
});
export type ActionOut = z.infer<typeof ActionOutSchema>;

export const IncidentDetailOutSchema = IncidentOutSchema.extend({
  events: z.array(IncidentEventOutSchema),
  actions: z.array(ActionOutSchema),
});
export type IncidentDetailOut = z.infer<typeof IncidentDetailOutSchema>;

export const AuditOutSchema = z.object({
  at: isoTimeSchema,
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
  outcome: z.enum(AUDIT_OUTCOMES).optional().describe('absent on entries the controller writes before it acts'),
});
export type AuditOut = z.infer<typeof AuditOutSchema>;
