/**
 * The config file schema (strict: an unknown key is an error, so typos do not pass silently)
 * and the cross-checks that need the whole file (unique names and MACs, VM hosts, secrets, policy).
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_POLICY, resolvePolicy, type DeepPartial, type Policy } from '../core/policy.js';
import { apiAccessFields } from '../api/schemas/api-access.js';
import { commandSchema, SECRET_REF_RE } from '../api/schemas/common.js';
import { HostSpecSchema } from '../api/schemas/host.js';
import { VmSpecSchema } from '../api/schemas/vm.js';
import { DEFAULT_MAX_TRANSFERS } from '../drivers/pxe/tftp-server.js';
import { parseWitnessAddress } from '../env/real/witness.js';
import { parseStoreUrl } from '../store/url.js';
import { NotifyConfigSchema } from '../notify/config-schema.js';
import { CatalogueSchema, OnDemandConfigSchema } from '../on-demand/config-schema.js';
import { DEFAULT_LISTEN, LOG_LEVELS } from './types.js';

const positive = z.number().positive();

const RungPolicySchema = z.strictObject({
  timeoutSeconds: positive.optional(),
  maxAttempts: z.int().min(1).optional(),
});

const rungKeys = Object.keys(DEFAULT_POLICY.rungs) as Array<keyof Policy['rungs']>;

export const PolicyInputSchema = z.strictObject({
  failAfter: z.int().min(1).optional(),
  recoverAfter: z.int().min(1).optional(),
  penalty: z
    .strictObject({
      perIncident: z.number().min(0).optional(),
      halfLifeSeconds: positive.optional(),
      stepUpEvery: positive.optional(),
      suppressAbove: positive.optional(),
    })
    .optional(),
  evacuateFirst: z.boolean().optional(),
  rungs: z.strictObject(Object.fromEntries(rungKeys.map((r) => [r, RungPolicySchema.optional()])) as Record<keyof Policy['rungs'], z.ZodOptional<typeof RungPolicySchema>>).optional(),
  reinstallDeadlineSeconds: positive.optional(),
  blockedGraceSeconds: positive.optional(),
  vmShutdownTimeoutSeconds: positive.optional(),
  selfFenceAfterSeconds: positive.nullable().optional(),
  hypervisorRestartCommand: commandSchema.optional(),
  hostRebootCommand: commandSchema.optional(),
  safety: z
    .strictObject({
      peerWitnesses: z.int().min(0).optional(),
      stormGuard: z
        .strictObject({
          share: z.number().gt(0).max(1).optional(),
          minTargets: z.int().min(1).optional(),
          windowSeconds: positive.optional(),
          partialReleaseSeconds: positive.optional(),
        })
        .optional(),
      maxConcurrent: z
        .strictObject({ fence: z.int().min(1).optional(), powerCycle: z.int().min(1).optional(), reinstall: z.int().min(1).optional() })
        .optional(),
      holdRecheckSeconds: positive.optional(),
      holdToPersonSeconds: positive.optional(),
    })
    .optional(),
});

// When Policy grows a field, this fails to compile until the config schema accepts it too.
type MissingPolicyKeys = Exclude<keyof Policy, keyof z.infer<typeof PolicyInputSchema>>;
const _allPolicyKeys: [MissingPolicyKeys] extends [never] ? true : MissingPolicyKeys = true;
void _allPolicyKeys;

const ipv4Schema = z
  .string()
  .trim()
  .refine((s) => isIP(s) === 4, { error: (iss) => `must be an IPv4 address, got ${JSON.stringify(iss.input)}` });
const bindPortSchema = z.int().min(0).max(65535);
const BootBinarySchema = z.strictObject({ name: z.string().min(1).max(127), path: z.string().min(1) });
const InstallSpecSchema = z.strictObject({
  template: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i).optional(),
  disk: z.string().min(1).optional(),
  partitions: z.array(z.string().min(1)).optional(),
  packages: z.array(z.string().min(1)).optional(),
  middleware: z.array(z.string().min(1)).optional(),
  kernel: z.string().min(1).optional(),
  initrd: z.string().min(1).optional(),
  kernelArgs: z.string().optional(),
  timezone: z.string().min(1).optional(),
});

/**
 * TFTP bounds. `maxPerSource` keeps one address (a broken or hostile client) from holding all of
 * `maxTransfers`; `workers` are transfer threads (0: on the main thread).
 */
const TftpConfigSchema = z
  .strictObject({
    workers: z.int().min(0).max(64).optional(),
    maxTransfers: z.int().min(1).max(65535).optional(),
    maxPerSource: z.int().min(1).max(65535).optional(),
    timeoutMs: z.int().min(100).max(60_000).optional(),
    maxRetries: z.int().min(0).max(20).optional(),
    maxBlksize: z.int().min(8).max(65464).optional(),
  })
  .superRefine((t, ctx) => {
    const max = t.maxTransfers ?? DEFAULT_MAX_TRANSFERS;
    if (t.maxPerSource !== undefined && t.maxPerSource > max) {
      ctx.addIssue({ code: 'custom', path: ['maxPerSource'], message: `must not exceed maxTransfers (${max})` });
    }
  });

/** DHCP answered per client MAC: a token bucket of `burst`, one more every `refillSeconds`; null: no limit. */
const DhcpConfigSchema = z.strictObject({
  perMac: z.strictObject({ burst: z.int().min(1).max(1000), refillSeconds: z.number().positive().max(3600) }).nullable().optional(),
  maxTrackedMacs: z.int().min(16).max(1_000_000).optional(),
});

/** One OpenSSH public key line: type, base64 blob, optional comment. */
const sshPublicKeySchema = z
  .string()
  .trim()
  .regex(/^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+={0,3}( [^\r\n]{1,200})?$/, {
    error: 'must be one OpenSSH public key line such as "ssh-ed25519 AAAA... 3rc@controller"',
  });

/** The controller's own boot services for the reinstall rung (real environment only). */
export const PxeConfigSchema = z.strictObject({
  address: ipv4Schema,
  dhcpBindAddress: ipv4Schema.default('0.0.0.0'),
  dhcpPort: bindPortSchema.default(67),
  tftpPort: bindPortSchema.default(69),
  httpPort: bindPortSchema.default(8080),
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  filesRoot: z.string().min(1),
  tftpRoot: z.string().min(1).optional(),
  bootBinaries: z
    .strictObject({ bios: BootBinarySchema.optional(), efiX64: BootBinarySchema.optional(), efiArm64: BootBinarySchema.optional() })
    .optional(),
  pxeTemplates: z.string().min(1).optional(),
  kickstartTemplates: z.string().min(1).optional(),
  netmask: ipv4Schema.default('255.255.255.0'),
  gateway: ipv4Schema.optional(),
  dns: z.array(ipv4Schema).optional(),
  leaseSeconds: z.int().min(60).max(604800).default(3600),
  install: InstallSpecSchema.optional(),
  tftp: TftpConfigSchema.optional(),
  dhcp: DhcpConfigSchema.optional(),
  /** Installed for root by the kickstart, so a reinstalled host comes back under management. */
  controllerPublicKey: sshPublicKeySchema.optional(),
});

/** `host:port`, `[v6]:port`. */
export function parseListen(listen: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(listen.trim());
  if (!m) return null;
  const host = (m[1] ?? m[2]) as string;
  const port = Number(m[3]);
  if (port < 1 || port > 65535 || (m[1] !== undefined && isIP(host) !== 6)) return null;
  return { host, port };
}

const listenSchema = z.string().refine((s) => parseListen(s) !== null, {
  error: (iss) => `must be host:port such as 127.0.0.1:7070 or [::1]:7070, got ${JSON.stringify(iss.input)}`,
});

/** The store's own URL parser decides what is valid, so the two never disagree. */
function checkStoreUrl(url: string, ctx: z.RefinementCtx): void {
  try {
    parseStoreUrl(url);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message.replace(/^store error: /, '') });
  }
}

const SecretSourceSchema = z
  .strictObject({
    env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name' }).optional(),
    file: z.string().min(1).optional(),
  })
  .refine((s) => (s.env === undefined) !== (s.file === undefined), { error: 'give exactly one of env or file' });

/** The real self-check parses these at start: the same parser here, so a bad one fails the config. */
const witnessAddressSchema = z.string().superRefine((text, ctx) => {
  try {
    parseWitnessAddress(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected host:port, not ${JSON.stringify(text)}` });
  }
});

export const ConfigFileSchema = z
  .strictObject({
    store: z
      .strictObject({
        url: z.string().superRefine(checkStoreUrl).optional(),
      })
      .prefault({}),
    api: z.strictObject({ listen: listenSchema.default(DEFAULT_LISTEN), ...apiAccessFields }).prefault({}),
    environment: z.strictObject({ kind: z.enum(['sim', 'real']).default('sim') }).prefault({}),
    // Several controllers on one PostgreSQL database (src/controller/leadership.ts): id names this
    // one in the lease (default: host name and pid); the highest rank takes a free lease first.
    controller: z
      .strictObject({
        id: z.string().regex(/^[A-Za-z0-9._:@-]{1,100}$/, 'letters, digits and . _ : @ - (at most 100)').optional(),
        rank: z.int().min(0).max(100).default(0),
      })
      .prefault({}),
    probes: z
      .strictObject({
        intervalSeconds: positive.default(5),
        timeoutSeconds: positive.default(3),
        concurrency: z.int().min(1).max(4096).default(32),
        installCheckCommand: commandSchema.optional(),
        /** A host answering every in-band check has its BMC read this often (0: every probe). */
        bmcRefreshSeconds: z.number().min(0).default(60),
      })
      .prefault({}),
    policy: PolicyInputSchema.prefault({}),
    inventory: z
      .strictObject({
        hosts: z.array(HostSpecSchema).default([]),
        vms: z.array(VmSpecSchema).default([]),
      })
      .prefault({}),
    // Absent in a file means no injected crashes; `demo: {}` takes the defaults.
    demo: z
      .strictObject({ crashEverySeconds: positive.default(45), seed: z.int().default(1) })
      .nullable()
      .default(null),
    pxe: PxeConfigSchema.nullable().default(null),
    // The controller's own vantage point (do no harm): host:port addresses it must reach each cycle
    // (the gateway, a DNS server...); while one is unreachable destructive actions hold.
    witnesses: z
      .strictObject({ selfCheck: z.array(witnessAddressSchema).max(16).default([]) })
      .prefault({}),
    secrets: z
      .record(z.string().regex(SECRET_REF_RE, { error: 'invalid secret name' }), SecretSourceSchema)
      .default({}),
    log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({}),
    // Webhook receivers of incident and storm-guard notifications (src/notify); secrets by reference.
    notify: NotifyConfigSchema,
    // Host on demand (src/on-demand): what can be asked for, and the rules of lending.
    catalogue: CatalogueSchema.prefault({}),
    onDemand: OnDemandConfigSchema.prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const err = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });

    // Policy: checked after merging, so a lone `failAfter: 6` is judged against the default recoverAfter.
    const p = resolvePolicy(cfg.policy as DeepPartial<Policy>);
    if (p.recoverAfter <= p.failAfter) {
      const at = cfg.policy.recoverAfter !== undefined ? 'recoverAfter' : 'failAfter';
      err(['policy', at], `recoverAfter (${p.recoverAfter}) must be greater than failAfter (${p.failAfter}) for hysteresis`);
    }
    if (p.penalty.suppressAbove <= p.penalty.perIncident) {
      err(['policy', 'penalty', 'suppressAbove'], `must exceed perIncident (${p.penalty.perIncident}), or the first incident quarantines`);
    }
    if (p.reinstallDeadlineSeconds >= p.rungs.reinstall.timeoutSeconds) {
      err(['policy', 'reinstallDeadlineSeconds'], `must be shorter than rungs.reinstall.timeoutSeconds (${p.rungs.reinstall.timeoutSeconds}) so a missed callback is reported with its last milestone`);
    }
    // A self-fence wait that outlasts the rung would let the timed-out attempt and its retry overlap.
    if (p.selfFenceAfterSeconds !== null && p.selfFenceAfterSeconds >= p.rungs['fence-migrate'].timeoutSeconds) {
      err(
        ['policy', 'selfFenceAfterSeconds'],
        `policy.selfFenceAfterSeconds (${p.selfFenceAfterSeconds}) must be below policy.rungs.fence-migrate.timeoutSeconds (${p.rungs['fence-migrate'].timeoutSeconds})`,
      );
    }
    cfg.inventory.hosts.forEach((h, i) => {
      const lease = h.watchdog?.leaseTimeoutSeconds;
      if (lease !== undefined && lease >= p.rungs['fence-migrate'].timeoutSeconds) {
        err(
          ['inventory', 'hosts', i, 'watchdog', 'leaseTimeoutSeconds'],
          `the watchdog lease timeout of ${h.name} (${lease}) must be below policy.rungs.fence-migrate.timeoutSeconds (${p.rungs['fence-migrate'].timeoutSeconds})`,
        );
      }
    });
    if (cfg.pxe !== null && cfg.environment.kind !== 'real') {
      err(['pxe'], 'boot services run with environment.kind real; the simulated rack models its own');
    }
    if (cfg.probes.timeoutSeconds > cfg.probes.intervalSeconds) {
      err(['probes', 'timeoutSeconds'], `must not exceed intervalSeconds (${cfg.probes.intervalSeconds})`);
    }
    if (cfg.demo !== null && cfg.environment.kind !== 'sim') {
      err(['demo'], 'injected crashes need environment.kind sim; remove demo or set it to null');
    }

    const hostAt = new Map<string, number>();
    const macOwner = new Map<string, string>();
    cfg.inventory.hosts.forEach((h, i) => {
      if (hostAt.has(h.name)) err(['inventory', 'hosts', i, 'name'], `duplicate host name "${h.name}" (also inventory.hosts[${hostAt.get(h.name)}])`);
      else hostAt.set(h.name, i);
      h.macs.forEach((m, j) => {
        const owner = macOwner.get(m);
        if (owner !== undefined && owner !== h.name) err(['inventory', 'hosts', i, 'macs', j], `MAC ${m} is already used by host "${owner}"`);
        else macOwner.set(m, h.name);
      });
      if (h.bmc && !(h.bmc.secretRef in cfg.secrets)) err(['inventory', 'hosts', i, 'bmc', 'secretRef'], `secret "${h.bmc.secretRef}" is not declared under secrets`);
      if (h.ssh?.keyRef && !(h.ssh.keyRef in cfg.secrets)) err(['inventory', 'hosts', i, 'ssh', 'keyRef'], `secret "${h.ssh.keyRef}" is not declared under secrets`);
    });
    cfg.notify.webhooks.forEach((w, i) => {
      if (!(w.secretRef in cfg.secrets)) err(['notify', 'webhooks', i, 'secretRef'], `secret "${w.secretRef}" is not declared under secrets`);
    });

    const vmAt = new Map<string, number>();
    const uuidAt = new Map<string, string>();
    cfg.inventory.vms.forEach((v, i) => {
      if (vmAt.has(v.name)) err(['inventory', 'vms', i, 'name'], `duplicate VM name "${v.name}" (also inventory.vms[${vmAt.get(v.name)}])`);
      else vmAt.set(v.name, i);
      const other = uuidAt.get(v.uuid);
      if (other !== undefined) err(['inventory', 'vms', i, 'uuid'], `UUID ${v.uuid} is already used by VM "${other}"`);
      else uuidAt.set(v.uuid, v.name);
      for (const key of ['homeHost', 'currentHost'] as const) {
        if (!hostAt.has(v[key])) err(['inventory', 'vms', i, key], `unknown host "${v[key]}" (not in inventory.hosts)`);
      }
      if (v.ssh?.keyRef && !(v.ssh.keyRef in cfg.secrets)) err(['inventory', 'vms', i, 'ssh', 'keyRef'], `secret "${v.ssh.keyRef}" is not declared under secrets`);
    });
  });

export type ConfigFileInput = z.input<typeof ConfigFileSchema>;
export type ConfigFileOutput = z.output<typeof ConfigFileSchema>;
