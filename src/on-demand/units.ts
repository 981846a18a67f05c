/**
 * Sizes and durations as people type them ("8G", "200G", "1T"; "6h", "90m", "2d"): one parser for
 * the CLI, the API and the config, so the three accept exactly the same spellings. Sizes are
 * binary (G = GiB) because that is what qemu-img and libvirt mean by them.
 */

export const SIZE_UNITS = { M: 1 / 1024, G: 1, T: 1024 } as const;
export const DURATION_UNITS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([MGT])(?:i?B)?$/i;
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*([smhd])$/;

export type ParseResult = { ok: true; value: number } | { ok: false; error: string };

/** Gigabytes (GiB) from "512M", "8G", "200G", "1T" (also "8GiB", "8GB"); a bare number is refused: say the unit. */
export function parseSizeGb(text: string): ParseResult {
  const m = SIZE_RE.exec(text.trim());
  if (!m) return { ok: false, error: `"${text}" is not a size: use a number and a unit, e.g. 512M, 8G, 200G, 1T` };
  const value = Number(m[1]) * SIZE_UNITS[(m[2] as string).toUpperCase() as keyof typeof SIZE_UNITS];
  if (!(value > 0)) return { ok: false, error: `"${text}": a size must be more than zero` };
  return { ok: true, value };
}

/** Milliseconds from "30s", "90m", "6h", "2d" (one number, one unit). */
export function parseDurationMs(text: string): ParseResult {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return { ok: false, error: `"${text}" is not a duration: use a number and a unit, e.g. 90m, 6h, 2d (units s, m, h, d)` };
  const value = Math.round(Number(m[1]) * DURATION_UNITS[m[2] as keyof typeof DURATION_UNITS]);
  if (!(value > 0)) return { ok: false, error: `"${text}": a duration must be more than zero` };
  return { ok: true, value };
}

/** "8G", "1.5T", "512M": the shortest exact spelling. */
export function formatSizeGb(gb: number): string {
  if (gb >= 1024 && Number.isInteger(gb / 1024)) return `${gb / 1024}T`;
  if (Number.isInteger(gb)) return `${gb}G`;
  if (Number.isInteger(gb * 1024)) return `${gb * 1024}M`;
  return `${Number(gb.toFixed(2))}G`;
}

/** "2d", "6h", "1h30m", "45s": the largest units first, zero parts left out. */
export function formatDurationMs(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, secs] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / secs);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * secs;
  }
  return parts.join('');
}
