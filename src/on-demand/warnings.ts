/** Which expiry warnings are due (pure): the configured offsets not yet given, largest first. */

/**
 * Offsets (ms before `expiresAt`) whose moment has come and that were not given yet, in the order
 * they must be given (the earliest moment first). None once the end itself has come: the
 * expiry says it then.
 */
export function dueWarnings(offsets: readonly number[], warned: readonly number[], expiresAt: number, now: number): number[] {
  if (now >= expiresAt) return [];
  return [...new Set(offsets)]
    .filter((o) => o > 0 && !warned.includes(o) && now >= expiresAt - o)
    .sort((a, b) => b - a);
}

/** After an extension: offsets whose moment is in the future again are given again. */
export function warnedAfterExtension(warned: readonly number[], newExpiresAt: number, now: number): number[] {
  return warned.filter((o) => now >= newExpiresAt - o);
}
