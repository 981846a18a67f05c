/**
 * What can be asked for, and the one-line refusals that list the valid names, shared by the CLI
 * (before anything is sent) and the API (the controller's catalogue is the truth).
 */
import { RrcError } from '../errors.js';
import type { Catalogue, MiddlewareRecipe, OsEntry } from './catalogue-types.js';

const names = (xs: ReadonlyArray<{ name: string }>) => (xs.length ? xs.map((x) => x.name).join(', ') : '(none configured)');

export function findOs(catalogue: Catalogue, name: string): OsEntry {
  const os = catalogue.os.find((o) => o.name === name);
  if (!os) throw new RrcError('RRC_ERR_VALIDATION', `unknown OS "${name}"; valid: ${names(catalogue.os)}`);
  return os;
}

/** Every name must exist; unknown ones are listed together, with the valid ones. */
export function findMiddleware(catalogue: Catalogue, wanted: readonly string[]): MiddlewareRecipe[] {
  const unknown = wanted.filter((w) => !catalogue.middleware.some((m) => m.name === w));
  if (unknown.length) {
    const what = unknown.length === 1 ? `unknown middleware "${unknown[0]}"` : `unknown middleware ${unknown.map((u) => `"${u}"`).join(', ')}`;
    throw new RrcError('RRC_ERR_VALIDATION', `${what}; valid: ${names(catalogue.middleware)}`);
  }
  const seen = new Set<string>();
  return wanted.filter((w) => !seen.has(w) && seen.add(w)).map((w) => catalogue.middleware.find((m) => m.name === w) as MiddlewareRecipe);
}

/** "htcondor,cvmfs" (CLI) or ["htcondor", "cvmfs"] (API): trimmed, empty parts dropped. */
export function middlewareList(input: string | readonly string[] | undefined): string[] {
  if (input === undefined) return [];
  const parts = typeof input === 'string' ? input.split(',') : [...input];
  return parts.map((s) => s.trim()).filter(Boolean);
}
