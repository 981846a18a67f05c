/**
 * Reads the YAML config into a validated ControllerConfig. Every problem is reported with its key
 * path (`inventory.hosts[2].macs[0]: ...`) as RRC_ERR_CONFIG_INVALID, all of them at once.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { resolveApiPaths } from '../api/access-paths.js';
import { issueLines } from '../api/schemas/issues.js';
import { resolvePolicy, type DeepPartial, type Policy } from '../core/policy.js';
import { RrcError } from '../errors.js';
import { defaultDemoInput } from './default-demo.js';
import { ConfigFileSchema } from './schema.js';
import type { CatalogueConfig } from '../on-demand/config-schema.js';
import { DEFAULT_STORE_URL, DEMO_SOURCE, type ControllerConfig, type PxeConfig, type SecretSource } from './types.js';

export interface LoadOptions {
  /** Environment for overrides (DATABASE_URL); defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * `path` given: read and validate that file (demo crashes off unless it asks for them).
 * No path: the built-in demo lab (defaultDemoConfig).
 */
export function loadConfig(path?: string, opts: LoadOptions = {}): ControllerConfig {
  if (path === undefined) return defaultDemoConfig(opts);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new RrcError('RRC_ERR_CONFIG_INVALID', `${path}: cannot read the file (${code})`, { cause: e });
  }
  return parseConfig(text, path, opts);
}

/** The config used when no file is given: a simulated lab with demo crashes. */
export function defaultDemoConfig(opts: LoadOptions = {}): ControllerConfig {
  return resolveConfig(defaultDemoInput(), DEMO_SOURCE, opts);
}

/** Parse YAML (or JSON, which is YAML) text; `source` names it in error messages. */
export function parseConfig(text: string, source: string, opts: LoadOptions = {}): ControllerConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0] as Error;
    throw new RrcError('RRC_ERR_CONFIG_INVALID', `${source}: YAML: ${first.message.split('\n')[0]}`);
  }
  const raw: unknown = doc.toJS() ?? {};
  return resolveConfig(raw, source, opts);
}

/** Validate a plain object (already parsed) and apply defaults, overrides and the policy merge. */
export function resolveConfig(raw: unknown, source: string, opts: LoadOptions = {}): ControllerConfig {
  const env = opts.env ?? process.env;
  const parsed = ConfigFileSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = issueLines(parsed.error.issues);
    throw new RrcError('RRC_ERR_CONFIG_INVALID', `${source}: ${lines.map((l) => `${l.path}: ${l.message}`).join('; ')}`, {
      details: lines,
    });
  }
  const cfg = parsed.data;
  const base = source === DEMO_SOURCE ? process.cwd() : dirname(resolve(source));
  const secrets: Record<string, SecretSource> = {};
  for (const [name, s] of Object.entries(cfg.secrets)) {
    secrets[name] = s.file !== undefined ? { file: isAbsolute(s.file) ? s.file : resolve(base, s.file) } : { env: s.env as string };
  }
  return {
    source,
    // DATABASE_URL wins so the same file runs against SQLite in dev and PostgreSQL in CI.
    store: { url: nonEmpty(env.DATABASE_URL) ?? cfg.store.url ?? DEFAULT_STORE_URL },
    api: resolveApiPaths(cfg.api, base),
    environment: { kind: cfg.environment.kind },
    controller: { ...cfg.controller },
    probes: { ...cfg.probes },
    policy: resolvePolicy(cfg.policy as DeepPartial<Policy>),
    inventory: { hosts: cfg.inventory.hosts, vms: cfg.inventory.vms },
    demo: cfg.demo,
    secrets,
    pxe: cfg.pxe === null ? null : resolvePxePaths(cfg.pxe, base),
    witnesses: { selfCheck: [...cfg.witnesses.selfCheck] },
    log: { level: cfg.log.level },
    notify: { webhooks: cfg.notify.webhooks.map((w) => ({ ...w, retry: { ...w.retry } })) },
    catalogue: resolveCataloguePaths(cfg.catalogue, base),
    onDemand: { ...cfg.onDemand, storageDir: isAbsolute(cfg.onDemand.storageDir) ? cfg.onDemand.storageDir : resolve(base, cfg.onDemand.storageDir) },
  };
}

/** Base images given relative to the config file's folder. */
function resolveCataloguePaths(c: CatalogueConfig, base: string): CatalogueConfig {
  return { ...c, os: c.os.map((o) => (o.kind === 'image' && !isAbsolute(o.baseImage) ? { ...o, baseImage: resolve(base, o.baseImage) } : o)) };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s;
}

/** Relative folders and boot binaries in the `pxe:` section are taken from the config file's folder. */
function resolvePxePaths(pxe: PxeConfig, base: string): PxeConfig {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const out: PxeConfig = { ...pxe, filesRoot: abs(pxe.filesRoot) };
  if (pxe.tftpRoot) out.tftpRoot = abs(pxe.tftpRoot);
  if (pxe.pxeTemplates) out.pxeTemplates = abs(pxe.pxeTemplates);
  if (pxe.kickstartTemplates) out.kickstartTemplates = abs(pxe.kickstartTemplates);
  if (pxe.bootBinaries) {
    out.bootBinaries = Object.fromEntries(
      Object.entries(pxe.bootBinaries).map(([k, b]) => [k, b ? { ...b, path: abs(b.path) } : b]),
    ) as PxeConfig['bootBinaries'];
  }
  return out;
}
