/** Host inventory: the input spec (validated, normalized) and the response record. */
import { z } from 'zod';
import { WATCHDOG_KINDS, type HostSpec } from '../../core/types.js';
import {
  addressSchema,
  hostNameSchema,
  ipSchema,
  isoTimeSchema,
  macListSchema,
  portSchema,
  secretRefSchema,
} from './common.js';

export const HOST_ROLES = ['primary', 'spare'] as const;
export const HOST_STATES = ['active', 'failed', 'recovering', 'quarantined', 'maintenance', 'fenced'] as const;

export const BmcSpecSchema = z.strictObject({
  address: addressSchema,
  port: portSchema.default(623),
  user: z.string().min(1),
  secretRef: secretRefSchema,
});

export const SshSpecSchema = z.strictObject({
  host: addressSchema,
  port: portSchema.default(22),
  user: z.string().min(1),
  keyRef: secretRefSchema.optional(),
});

export const CapacitySchema = z.strictObject({
  cores: z.int().positive(),
  ramGb: z.number().positive(),
  diskTb: z.number().positive(),
});

/** The watchdog contract a host runs (issue 9): only then may a silent host count as self-fenced. */
export const HostWatchdogSchema = z.strictObject({
  kind: z.enum(WATCHDOG_KINDS),
  leaseTimeoutSeconds: z.number().positive(),
});

export const HostSpecSchema = z.strictObject({
  name: hostNameSchema,
  role: z.enum(HOST_ROLES),
  macs: macListSchema,
  ip: ipSchema,
  bmc: BmcSpecSchema.optional(),
  hypervisorUri: z
    .string()
    .regex(/^[a-z][a-z0-9+.-]*:\/\/\S*$/, { error: 'must be a libvirt URI such as qemu+ssh://root@hv1/system' }),
  ssh: SshSpecSchema.optional(),
  capacity: CapacitySchema,
  watchdog: HostWatchdogSchema.optional(),
});
export type HostSpecInput = z.input<typeof HostSpecSchema>;

// The parsed spec must be usable wherever the core expects a HostSpec.
const _hostSpecFits = (s: z.output<typeof HostSpecSchema>): HostSpec => s;
void _hostSpecFits;

/** A host as the API returns it (no transforms: see common.ts). */
export const HostOutSchema = z.object({
  name: z.string(),
  role: z.enum(HOST_ROLES),
  macs: z.array(z.string()),
  ip: z.string(),
  bmc: z.object({ address: z.string(), port: z.int(), user: z.string(), secretRef: z.string() }).optional(),
  hypervisorUri: z.string(),
  ssh: z.object({ host: z.string(), port: z.int(), user: z.string(), keyRef: z.string().optional() }).optional(),
  capacity: z.object({ cores: z.number(), ramGb: z.number(), diskTb: z.number() }),
  watchdog: z.object({ kind: z.enum(WATCHDOG_KINDS), leaseTimeoutSeconds: z.number() }).optional(),
  state: z.enum(HOST_STATES),
  createdAt: isoTimeSchema,
  updatedAt: isoTimeSchema,
});
export type HostOut = z.infer<typeof HostOutSchema>;
