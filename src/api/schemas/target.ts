/** Target state and the operator actions on a target (maintenance, release, rung, confirm-off). */
import { z } from 'zod';
import { HIGHEST_RUNG, LOWEST_RUNG, RUNG_RANGE, RUNGS, rungNumber, type RungNumber } from '../../core/rungs.js';
import { TARGET_PHASES } from '../../core/types.js';
import { isoTimeSchema } from './common.js';


/** `host:<name>`, `vm:<name>`, or a bare name that is unique among hosts and VMs. */
export const TargetParamsSchema = z.strictObject({ target: z.string().min(1) });

export const MaintenanceBodySchema = z.strictObject({ on: z.boolean() });
export type MaintenanceBody = z.infer<typeof MaintenanceBodySchema>;

/** A rung by number (RUNG_RANGE) or by name (`reboot`, `fence-migrate`...), always a number after parsing. */
export const RungSchema = z
  .union([z.int().min(LOWEST_RUNG).max(HIGHEST_RUNG), z.enum(RUNGS)], {
    error: `must be a rung number ${RUNG_RANGE} or one of ${RUNGS.join(', ')}`,
  })
  .transform((r): RungNumber => (typeof r === 'number' ? (r as RungNumber) : rungNumber(r)));

export const RungBodySchema = z.strictObject({ rung: RungSchema });
export type RungBodyInput = z.input<typeof RungBodySchema>;

export const TargetStatusOutSchema = z.object({
  targetId: z.string(),
  kind: z.enum(['host', 'vm']),
  name: z.string(),
  phase: z.enum(TARGET_PHASES),
  rung: z.int().nullable(),
  rungName: z.string().nullable(),
  incidentId: z.string().nullable(),
  signature: z.string().nullable(),
  maintenance: z.boolean(),
  penalty: z.number(),
  since: isoTimeSchema,
  reason: z.string().nullable(),
});
export type TargetStatusOut = z.infer<typeof TargetStatusOutSchema>;

export const HealthOutSchema = z.object({
  status: z.literal('ok'),
  startedAt: isoTimeSchema,
  now: isoTimeSchema,
  uptimeSeconds: z.number(),
  env: z.string(),
  store: z.string(),
  targets: z.int(),
  openIncidents: z.int(),
  probeCycles: z.int(),
  /** Destructive actions held by the self-check or storm guard, and why. */
  safetyGuard: z.object({ on: z.boolean(), reason: z.string().nullable() }),
  destructiveInFlight: z.object({ fence: z.int(), powerCycle: z.int(), reinstall: z.int() }),
  /** Failed store writes of the targets' write chains (each try counts) and those given up. */
  storeWriteFailures: z.int(),
  storeWritesAbandoned: z.int(),
  lastStoreError: z.object({ what: z.string(), target: z.string(), error: z.string(), at: isoTimeSchema }).nullable(),
  /** Only the leader of the controllers sharing the database acts; epoch: its lease's fencing token. */
  leader: z.boolean(),
  epoch: z.int().nullable(),
  holder: z.string().nullable(),
});
export type HealthOut = z.infer<typeof HealthOutSchema>;
