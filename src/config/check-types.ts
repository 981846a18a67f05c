/**
 * What `3rc config check` reports, and safe readers for the raw (not yet validated) config: the
 * semantic checks run even when the schema refused parts of the file, so that every problem is
 * reported in one run, and must not trust any field's type.
 */
import { formatPath } from '../api/schemas/issues.js';

/** error: the controller refuses it or it would act wrongly; warning: it runs, but an operator should look. */
export type Severity = 'error' | 'warning';

export interface Problem {
  severity: Severity;
  /** Key path in the file, e.g. `inventory.hosts[2].bmc.address`; `(yaml)` / `(file)` for the text itself. */
  path: string;
  message: string;
  /** Stable name of the check (the zod issue code for schema problems). */
  check: string;
}

export type Raw = Record<string, unknown>;

export function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `obj.a.b.c` when every step is an object, else undefined. */
export function dig(obj: unknown, ...keys: string[]): unknown {
  let cur = obj;
  for (const k of keys) {
    if (!isObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Collects problems with paths written the way the loader writes them. */
export class ProblemList {
  readonly items: Problem[] = [];

  add(severity: Severity, path: readonly PropertyKey[] | string, message: string, check: string): void {
    this.items.push({ severity, path: typeof path === 'string' ? path : formatPath(path) || '(root)', message, check });
  }

  error(path: readonly PropertyKey[] | string, message: string, check: string): void {
    this.add('error', path, message, check);
  }

  warn(path: readonly PropertyKey[] | string, message: string, check: string): void {
    this.add('warning', path, message, check);
  }
}
