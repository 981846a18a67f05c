/**
 * Specs for `host add` / `vm add` come from flags or from a YAML/JSON file, and are validated here
 * with the API's own zod schemas so a mistake is reported before anything is sent.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { z } from 'zod';
import { formatPath } from '../api/schemas/issues.js';
import { usageError } from './errors.js';

export function readSpecFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw usageError(`--file: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return parse(text, { uniqueKeys: true }); // JSON is YAML too
  } catch (e) {
    throw usageError(`${path}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Drops undefined members and objects left empty, so absent flags read as absent keys. */
export function compact<T>(value: T): T {
  if (Array.isArray(value)) return value as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const c = compact(v);
    if (c === undefined) continue;
    if (c !== null && typeof c === 'object' && !Array.isArray(c) && Object.keys(c).length === 0) continue;
    out[k] = c;
  }
  return out as T;
}

/**
 * Parse `input` with `schema`; on failure one usage error listing every problem, naming flags
 * (`--bmc-user: is required`) when `flags` maps the key path, or the file's key path otherwise.
 */
export function validateSpec<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where: { flags?: Record<string, string>; file?: string },
): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const lines = r.error.issues.flatMap((iss) => {
    const paths = iss.code === 'unrecognized_keys' ? iss.keys.map((k) => [...iss.path, k]) : [iss.path];
    const msg = iss.code === 'unrecognized_keys' ? 'unknown key' : /received undefined$/.test(iss.message) ? 'is required' : iss.message;
    return paths.map((p) => `${label(p, where)}: ${msg}`);
  });
  throw usageError(lines.join('; '));
}

function label(path: readonly PropertyKey[], where: { flags?: Record<string, string>; file?: string }): string {
  const dotted = formatPath(path);
  if (where.file !== undefined) return `${where.file}: ${dotted || '(top level)'}`;
  const flags = where.flags ?? {};
  // Longest key-path prefix that names a flag: macs[1] -> --mac #2, bmc.user -> --bmc-user.
  for (let n = path.length; n > 0; n--) {
    const flag = flags[formatPath(path.slice(0, n))];
    if (flag) {
      const idx = path[n];
      return typeof idx === 'number' ? `${flag} #${idx + 1}` : flag;
    }
  }
  return dotted || '(input)';
}
