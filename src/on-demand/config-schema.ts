/**
 * The `catalogue:` and `onDemand:` sections of the config file (src/config/schema.ts embeds them).
 * Sizes and durations use the same parser as the CLI and the API (units.ts).
 */
import { z } from 'zod';
import { poolProblems } from './address-pool.js';
import { parseDurationMs, parseSizeGb } from './units.js';

/** "8G" -> 8 (GiB), with the parser's own message on a bad value. */
export const sizeGbSchema = z.string().transform((text, ctx) => {
  const r = parseSizeGb(text);
  if (r.ok) return r.value;
  ctx.addIssue({ code: 'custom', message: r.error });
  return z.NEVER;
});

/** "6h" -> 21 600 000 (ms). */
export const durationMsSchema = z.string().transform((text, ctx) => {
  const r = parseDurationMs(text);
  if (r.ok) return r.value;
  ctx.addIssue({ code: 'custom', message: r.error });
  return z.NEVER;
});

/** One OpenSSH public key line (what the first-boot data installs for the owner). */
export const sshKeySchema = z
  .string()
  .trim()
  .regex(/^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( [^\x00-\x1f\x7f]*)?$/, {
    error: 'must be one OpenSSH public key line: type, base64 key, optional comment',
  });

/** Catalogue names are what users type: lowercase, digits, ".", "-". */
export const CATALOGUE_NAME_RE = /^[a-z0-9][a-z0-9.-]{0,62}$/;
const catalogueName = z.string().regex(CATALOGUE_NAME_RE, { error: 'must be 1-63 lowercase letters, digits, "." or "-"' });

const OsImageSchema = z.strictObject({
  name: catalogueName,
  description: z.string().default(''),
  kind: z.literal('image'),
  baseImage: z.string().min(1),
  format: z.enum(['qcow2', 'raw']).default('qcow2'),
});
const OsInstallSchema = z.strictObject({
  name: catalogueName,
  description: z.string().default(''),
  kind: z.literal('install'),
  kickstartTemplate: z.string().min(1),
});

export const CatalogueSchema = z
  .strictObject({
    os: z.array(z.discriminatedUnion('kind', [OsImageSchema, OsInstallSchema])).default([]),
    middleware: z
      .array(
        z.strictObject({
          name: catalogueName,
          description: z.string().default(''),
          packages: z.array(z.string().min(1)).default([]),
          firstBoot: z.array(z.string().min(1)).default([]),
        }),
      )
      .default([]),
  })
  .superRefine((c, ctx) => {
    for (const key of ['os', 'middleware'] as const) {
      const seen = new Set<string>();
      c[key].forEach((e, i) => {
        if (seen.has(e.name)) ctx.addIssue({ code: 'custom', path: [key, i, 'name'], message: `duplicate ${key} name "${e.name}"` });
        seen.add(e.name);
      });
    }
  });

const QuotaSchema = z.strictObject({
  cores: z.int().min(0),
  ram: sizeGbSchema,
  disk: sizeGbSchema,
  /** Requests not yet closed (queued, provisioning, ready, expiring) at once. */
  requests: z.int().min(0),
});

const OwnerSchema = z.strictObject({
  quota: QuotaSchema.optional(),
  /** Installed for the owner on every machine they get (first-boot data). */
  sshKeys: z.array(sshKeySchema).default([]),
});

/** Static IPv4 addresses for lent VMs (address-pool.ts); first/last default to the whole subnet. */
const AddressPoolSchema = z
  .strictObject({
    cidr: z.string(),
    first: z.string().optional(),
    last: z.string().optional(),
    gateway: z.string().optional(),
    dns: z.array(z.string()).default([]),
  })
  .superRefine((c, ctx) => {
    for (const p of poolProblems(c)) ctx.addIssue({ code: 'custom', path: p.key.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k)), message: p.message });
  });

export const OnDemandConfigSchema = z.strictObject({
  /** Overlays and seeds (shared storage: every host must reach the same path). */
  storageDir: z.string().min(1).default('./.3rc/on-demand'),
  maxDuration: durationMsSchema.prefault('7d'),
  /** Warnings before the end, e.g. [1h, 10m]. */
  warnings: z.array(durationMsSchema).prefault(['1h', '10m']),
  /** How often the controller looks at expiries, warnings, the queue and provisioning. */
  sweepInterval: durationMsSchema.prefault('5s'),
  /** A machine that does not answer this long after its start is given up (failed, erased). */
  provisionTimeout: durationMsSchema.prefault('15m'),
  /** How an overlay is erased at the end: zeroed then deleted, or deleted. */
  erase: z.enum(['overwrite', 'discard']).default('overwrite'),
  /** n+1: never take capacity needed to absorb the loss of the most loaded host; none: no reserve. */
  reserve: z.enum(['n+1', 'none']).default('n+1'),
  /** Priority of lent VMs when competing for spare capacity (inventory VMs default to theirs). */
  priority: z.int().default(0),
  /** libvirt network the lent VMs join; null: no network interface. */
  network: z.string().min(1).nullable().default('default'),
  /** Static addresses for lent VMs (network-config in the seed, probed by the controller); absent: none given. */
  addresses: AddressPoolSchema.optional(),
  /** Who may ask for how much; `default` applies to owners without their own line. */
  quotas: z
    .strictObject({ default: QuotaSchema.prefault({ cores: 16, ram: '64G', disk: '1T', requests: 3 }) })
    .prefault({}),
  owners: z.record(z.string().min(1), OwnerSchema).default({}),
});

export type CatalogueConfig = z.output<typeof CatalogueSchema>;
export type OnDemandConfig = z.output<typeof OnDemandConfigSchema>;
export type Quota = z.output<typeof QuotaSchema>;

/** Defaults for a config without the sections. */
export function defaultOnDemandConfig(): OnDemandConfig {
  return OnDemandConfigSchema.parse({});
}
