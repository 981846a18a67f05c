/**
 * Operator commands over the drivers (power, boot device, fence, probe, VM reboot/restart/move):
 * request bodies and the response shapes. Shared by the API routes and the `3rc host|vm` verbs.
 */
import { z } from 'zod';
import type { HostPowerOp } from '../../controller/types.js';
import type { DomainState, PowerState, SignatureCode } from '../../core/signature.js';
import type { BootDevice } from '../../env/env.js';
import { hostNameSchema, isoTimeSchema } from './common.js';
import { VmOutSchema } from './vm.js';

/** Power operations that change something; `status` is the GET. */
export const HOST_POWER_CHANGES = ['on', 'off', 'cycle'] as const;
export const HOST_POWER_OPS = ['status', ...HOST_POWER_CHANGES] as const;
export const POWER_STATES = ['on', 'off', 'unknown'] as const;
export const BOOT_DEVICES = ['pxe', 'disk'] as const;
export const VM_POWER_OPS = ['reboot', 'restart'] as const;
export const DOMAIN_STATES = ['running', 'paused', 'shutoff', 'crashed', 'missing', 'unknown'] as const;
export const SIGNATURE_CODES = [
  'ok',
  'host-power-off',
  'host-unreachable',
  'host-unreachable-os-running',
  'host-boot-failed',
  'host-install-broken',
  'host-os-hung',
  'hypervisor-down',
  'host-and-bmc-unreachable',
  'vm-host-down',
  'vm-crashed',
  'vm-missing',
  'vm-hung',
  'vm-paused',
  'vm-service-dead',
  'vm-hypervisor-down',
] as const;

// The lists above must name exactly the core's unions: a code added there fails to compile here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _listsMatch: [
  Same<(typeof HOST_POWER_OPS)[number], HostPowerOp>,
  Same<(typeof POWER_STATES)[number], PowerState>,
  Same<(typeof BOOT_DEVICES)[number], BootDevice>,
  Same<(typeof DOMAIN_STATES)[number], DomainState>,
  Same<(typeof SIGNATURE_CODES)[number], SignatureCode>,
] = [true, true, true, true, true];
void _listsMatch;

// ---- request bodies ----

/** `must be one of a, b` for a wrong value, `is required` for a missing one (as the other fields say). */
const oneOf = (values: readonly string[]) => ({
  error: (iss: { input?: unknown }) => (iss.input === undefined ? 'is required' : `must be one of ${values.join(', ')}`),
});

export const HostPowerBodySchema = z.strictObject({
  op: z.enum(HOST_POWER_CHANGES, oneOf(HOST_POWER_CHANGES)),
});
export type HostPowerBody = z.infer<typeof HostPowerBodySchema>;

export const BootDevBodySchema = z.strictObject({
  device: z.enum(BOOT_DEVICES, oneOf(BOOT_DEVICES)).describe('device for the next boot'),
});
export type BootDevBody = z.infer<typeof BootDevBodySchema>;

export const VmMoveBodySchema = z.strictObject({ to: hostNameSchema.describe('host to start the VM on') });
export type VmMoveBody = z.infer<typeof VmMoveBodySchema>;

// ---- responses (transform-free, see common.ts) ----

export const HostPowerOutSchema = z.object({
  host: z.string(),
  op: z.enum(HOST_POWER_OPS).describe('what was asked'),
  power: z.enum(POWER_STATES).describe('power state read back from the BMC afterwards'),
});
export type HostPowerOut = z.infer<typeof HostPowerOutSchema>;

export const BootDevOutSchema = z.object({ host: z.string(), device: z.enum(BOOT_DEVICES) });
export type BootDevOut = z.infer<typeof BootDevOutSchema>;

export const FenceOutSchema = z.object({
  host: z.string(),
  confirmedAt: isoTimeSchema.describe('when the BMC was read back as off'),
  offAttempts: z.int().describe('power-off commands sent before the read-back confirmed'),
});
export type FenceOut = z.infer<typeof FenceOutSchema>;

export const SignatureOutSchema = z.object({
  code: z.enum(SIGNATURE_CODES),
  healthy: z.boolean(),
  summary: z.string(),
});
export type SignatureOut = z.infer<typeof SignatureOutSchema>;

const detailsSchema = z.record(z.string(), z.string()).optional().describe('free-form details per probe (errors, latencies)');

export const HostObservationOutSchema = z.object({
  bmcReachable: z.boolean().nullable().describe('null: no BMC configured'),
  power: z.enum(POWER_STATES),
  reachable: z.boolean(),
  shellOk: z.boolean().nullable().describe('null: no SSH configured'),
  hypervisorOk: z.boolean(),
  details: detailsSchema,
});
export type HostObservationOut = z.infer<typeof HostObservationOutSchema>;

export const HostProbeOutSchema = z.object({
  host: z.string(),
  observation: HostObservationOutSchema,
  signature: SignatureOutSchema,
});
export type HostProbeOut = z.infer<typeof HostProbeOutSchema>;

export const VmObservationOutSchema = z.object({
  hostDown: z.boolean(),
  hypervisorOk: z.boolean(),
  domain: z.enum(DOMAIN_STATES),
  guestReachable: z.boolean(),
  serviceOk: z.boolean().nullable().describe('null: the VM has no service check'),
  details: detailsSchema,
});
export type VmObservationOut = z.infer<typeof VmObservationOutSchema>;

export const VmProbeOutSchema = z.object({
  vm: z.string(),
  host: z.string().describe('host the VM was probed on'),
  observation: VmObservationOutSchema,
  signature: SignatureOutSchema,
});
export type VmProbeOut = z.infer<typeof VmProbeOutSchema>;

export const VmPowerOutSchema = z.object({
  vm: z.string(),
  host: z.string(),
  op: z.enum(VM_POWER_OPS),
});
export type VmPowerOut = z.infer<typeof VmPowerOutSchema>;

export const VmMoveOutSchema = z.object({
  from: z.string().describe('host the VM was stopped on'),
  to: z.string(),
  vm: VmOutSchema,
});
export type VmMoveOut = z.infer<typeof VmMoveOutSchema>;
