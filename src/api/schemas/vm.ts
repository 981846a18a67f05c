/** VM inventory: the input spec (validated, normalized) and the response record. */
import { z } from 'zod';
import type { VmSpec } from '../../core/types.js';
import { addressSchema, commandSchema, hostNameSchema, isoTimeSchema, portSchema, vmNameSchema } from './common.js';
import { SshSpecSchema } from './host.js';

export const ServiceCheckSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('tcp'), port: portSchema, restartCommand: commandSchema.optional() }),
  z.strictObject({
    kind: z.literal('http'),
    port: portSchema,
    path: z.string().startsWith('/', { error: 'must start with "/"' }),
    expectStatus: z.int().min(100).max(599).optional(),
    restartCommand: commandSchema.optional(),
  }),
  z.strictObject({ kind: z.literal('ssh'), command: commandSchema, restartCommand: commandSchema.optional() }),
]);

export const VmResourcesSchema = z.strictObject({
  cores: z.int().positive(),
  ramGb: z.number().positive(),
  diskGb: z.number().positive(),
});

export const VmSpecSchema = z
  .strictObject({
    name: vmNameSchema,
    // libvirt prints UUIDs in lowercase; any 8-4-4-4-12 hex is accepted (not only RFC variants).
    uuid: z.guid({ error: 'must be a UUID (8-4-4-4-12 hex digits)' }).transform((u) => u.toLowerCase()),
    domainXml: z.string().min(1).optional(),
    template: z.string().min(1).optional(),
    homeHost: hostNameSchema,
    currentHost: hostNameSchema.optional().describe('defaults to homeHost'),
    priority: z.int().default(0),
    diskPath: z.string().min(1).optional(),
    resources: VmResourcesSchema,
    guestAddress: addressSchema.optional(),
    ssh: SshSpecSchema.optional().describe('how to reach the guest over SSH (service restarts, ssh checks)'),
    serviceCheck: ServiceCheckSchema.optional(),
  })
  .transform((v) => ({ ...v, currentHost: v.currentHost ?? v.homeHost }));
export type VmSpecInput = z.input<typeof VmSpecSchema>;

const _vmSpecFits = (s: z.output<typeof VmSpecSchema>): VmSpec => s;
void _vmSpecFits;

const ServiceCheckOutSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tcp'), port: z.int(), restartCommand: z.string().optional() }),
  z.object({
    kind: z.literal('http'),
    port: z.int(),
    path: z.string(),
    expectStatus: z.int().optional(),
    restartCommand: z.string().optional(),
  }),
  z.object({ kind: z.literal('ssh'), command: z.string(), restartCommand: z.string().optional() }),
]);

export const VmOutSchema = z.object({
  name: z.string(),
  uuid: z.string(),
  domainXml: z.string().optional(),
  template: z.string().optional(),
  homeHost: z.string(),
  currentHost: z.string(),
  priority: z.int(),
  diskPath: z.string().optional(),
  resources: z.object({ cores: z.number(), ramGb: z.number(), diskGb: z.number() }),
  guestAddress: z.string().optional(),
  ssh: z.object({ host: z.string(), port: z.int(), user: z.string(), keyRef: z.string().optional() }).optional(),
  serviceCheck: ServiceCheckOutSchema.optional(),
  createdAt: isoTimeSchema,
  updatedAt: isoTimeSchema,
});
export type VmOut = z.infer<typeof VmOutSchema>;
