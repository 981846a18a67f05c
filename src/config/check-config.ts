/**
 * `3rc config check`: every problem of a config file in one run, each with its key path.
 *
 * The file goes through the controller's own schema (ConfigFileSchema, the one loadConfig uses),
 * then through checks the schema cannot express: inventory cross-checks that still run when
 * another part of the file is invalid, N+1 capacity, time budgets, files and secrets as this
 * machine sees them, exposure. A problem the schema already reported at a path is not repeated.
 * Errors make the controller refuse the file or act wrongly; warnings are worth a look.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { issueLines } from '../api/schemas/issues.js';
import { RrcError } from '../errors.js';
import { checkExposure, checkInlineSecrets } from './check-exposure.js';
import { checkFiles } from './check-files.js';
import { checkInventory } from './check-inventory.js';
import { checkTiming } from './check-timing.js';
import { dig, list, ProblemList, str, type Problem } from './check-types.js';
import { ConfigFileSchema } from './schema.js';

export type { Problem, Severity } from './check-types.js';

export interface ConfigReport {
  file: string;
  /** No errors (warnings allowed). */
  ok: boolean;
  errors: number;
  warnings: number;
  problems: Problem[];
  /** What the file describes, for the summary line. */
  inventory: { hosts: number; vms: number };
  environment: string;
}

export interface CheckOptions {
  /** The environment the service will have (secret variables); default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Reads and checks `file`; a file that cannot be read is an error thrown, not a report. */
export function checkConfigFile(file: string, opts: CheckOptions = {}): ConfigReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new RrcError('RRC_ERR_CONFIG_INVALID', `${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  return checkConfigText(text, file, { ...opts, configDir: dirname(resolve(file)) });
}

export function checkConfigText(text: string, file: string, opts: CheckOptions & { configDir?: string } = {}): ConfigReport {
  const env = opts.env ?? process.env;
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const yamlProblems: Problem[] = doc.errors.map((e) => ({
    severity: 'error',
    path: '(yaml)',
    message: e.message.split('\n')[0] as string,
    check: e.code,
  }));
  if (yamlProblems.length > 0) return report(file, yamlProblems, null);
  const raw: unknown = doc.toJS() ?? {};

  const schema = ConfigFileSchema.safeParse(raw);
  const schemaProblems: Problem[] = schema.success
    ? []
    : issueLines(schema.error.issues).map((l) => ({ severity: 'error', path: l.path, message: l.message, check: l.code }));

  const ours = new ProblemList();
  checkInlineSecrets(raw, ours);
  checkInventory(raw, ours);
  checkTiming(raw, ours);
  checkExposure(raw, ours);
  checkFiles(raw, opts.configDir ?? process.cwd(), env, ours);

  // An inline secret is reported once, with what to do instead of the schema's "unknown key".
  const inline = new Set(ours.items.filter((p) => p.check === 'inline-secret').map((p) => p.path));
  const fromSchema = schemaProblems.filter((p) => !(p.check === 'unrecognized_keys' && inline.has(p.path)));
  const seen = new Set(fromSchema.map((p) => p.path));
  const extra = ours.items.filter((p) => p.check === 'inline-secret' || !seen.has(p.path));
  return report(file, [...fromSchema, ...extra], raw);
}

function report(file: string, problems: Problem[], raw: unknown): ConfigReport {
  // Errors first, then in file order as the checks found them (a stable sort keeps that order).
  const sorted = [...problems].sort((a, b) => Number(a.severity === 'warning') - Number(b.severity === 'warning'));
  const errors = sorted.filter((p) => p.severity === 'error').length;
  return {
    file,
    ok: errors === 0,
    errors,
    warnings: sorted.length - errors,
    problems: sorted,
    inventory: { hosts: list(dig(raw, 'inventory', 'hosts')).length, vms: list(dig(raw, 'inventory', 'vms')).length },
    environment: str(dig(raw, 'environment', 'kind')) ?? 'sim',
  };
}

/** The one-line verdict: `lab.yaml: ok (4 hosts, 12 VMs, environment real)` or the counts. */
export function summaryLine(r: ConfigReport): string {
  const what = `${r.inventory.hosts} host${r.inventory.hosts === 1 ? '' : 's'}, ${r.inventory.vms} VM${r.inventory.vms === 1 ? '' : 's'}, environment ${r.environment}`;
  const warn = r.warnings === 0 ? '' : `, ${r.warnings} warning${r.warnings === 1 ? '' : 's'}`;
  if (r.ok) return `${r.file}: ok (${what}${warn})`;
  return `${r.file}: ${r.errors} error${r.errors === 1 ? '' : 's'}${warn} (${what})`;
}

/** One line per problem: `error    inventory.hosts[2].bmc.address: must be ...`. */
export function problemLines(r: ConfigReport): string[] {
  return r.problems.map((p) => `${p.severity.padEnd(7)}  ${p.path}: ${p.message}`);
}
