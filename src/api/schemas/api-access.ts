/**
 * The `api:` config keys besides `listen`: who may reach the API (Host names, TLS, the metrics
 * scraper, the first admin token's file) and the allow-lists for inventory fields that lead to
 * code execution or credentials. Shared by the config loader and buildApp.
 */
import { z } from 'zod';

/** A command allowed as is, or `/regex/` (anchored: the whole command must match). */
const commandRuleSchema = z.string().min(1).superRefine((s, ctx) => {
  if (!isPattern(s)) return;
  try {
    new RegExp(s.slice(1, -1));
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `invalid pattern: ${(e as Error).message}` });
  }
});

export function isPattern(rule: string): boolean {
  return rule.length > 2 && rule.startsWith('/') && rule.endsWith('/');
}

/** `systemctl restart <unit>` and `systemctl try-restart <unit>`: what the demo and most labs use. */
export const DEFAULT_RESTART_COMMANDS = ['/systemctl (try-)?restart [A-Za-z0-9@._-]+/'];
/** Local and SSH transports only: `qemu+ext://` runs a command of the URI's choosing on the controller. */
export const DEFAULT_HYPERVISOR_URI_PREFIXES = ['qemu+ssh://', 'qemu:///', 'test:///'];
/** libvirt URI parameters that do not name a program, a key file or a host key policy. */
export const DEFAULT_HYPERVISOR_URI_PARAMS = ['no_tty', 'mode'];

export const AllowListsSchema = z.strictObject({
  hypervisorUriPrefixes: z.array(z.string().min(1)).default(DEFAULT_HYPERVISOR_URI_PREFIXES),
  hypervisorUriParams: z.array(z.string().min(1)).default(DEFAULT_HYPERVISOR_URI_PARAMS),
  restartCommands: z.array(commandRuleSchema).default(DEFAULT_RESTART_COMMANDS),
  /** Commands of `ssh` service checks; none unless listed. */
  checkCommands: z.array(commandRuleSchema).default([]),
  /** Domain XML from the API (it can name an emulator binary): off unless enabled. */
  domainXml: z.boolean().default(false),
  /** SSH users the controller may log in as on hosts and guests. */
  sshUsers: z.array(z.string().min(1)).default(['root']),
  /** CIDRs that BMC, SSH and hypervisor endpoints must be in (credentials go there); null: not checked. */
  endpointNetworks: z.array(z.string().regex(/^[0-9a-fA-F.:]+\/\d{1,3}$/, { error: 'must be a CIDR such as 10.0.0.0/16' })).nullable().default(null),
});
export type AllowLists = z.output<typeof AllowListsSchema> & {
  /** Names under the config's `secrets:`; a secretRef / keyRef must be one of them. Set by the service. */
  secretRefs?: readonly string[];
};

export const TlsConfigSchema = z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) });

/** Spread into the config's `api:` object next to `listen`. */
export const apiAccessFields = {
  /** Accepted Host header names (without port); default: loopback names and the listen address. */
  hostnames: z.array(z.string().min(1)).optional(),
  /** Serve `/metrics` without a token (a Prometheus scraper on a trusted network). */
  metricsOpen: z.boolean().default(false),
  /** Where the first start writes the admin token (mode 0600); default: beside the SQLite file. */
  tokenFile: z.string().min(1).optional(),
  tls: TlsConfigSchema.nullable().default(null),
  allow: AllowListsSchema.prefault({}),
};

export const ApiAccessSchema = z.strictObject(apiAccessFields);
export type ApiAccessConfig = z.output<typeof ApiAccessSchema>;

/** What buildApp enforces when no config is given: loopback only, metrics closed, default allow-lists. */
export function defaultApiAccess(): ApiAccessConfig {
  return ApiAccessSchema.parse({});
}
