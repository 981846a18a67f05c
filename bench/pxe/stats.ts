/** Small statistics for the PXE benchmark, pinned by test/unit/bench-pxe/stats.test.ts. */

/** Median of the finite values (mean of the two middle ones for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Nearest-rank percentile (p in (0, 100]); NaN for no values. */
export function percentile(xs: readonly number[], p: number): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const rank = Math.min(v.length, Math.max(1, Math.ceil((p / 100) * v.length)));
  return v[rank - 1]!;
}

export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** ours / reference, rounded; NaN when the reference is not positive. */
export function ratio(ours: number, reference: number, digits = 2): number {
  return reference > 0 && Number.isFinite(ours) ? round(ours / reference, digits) : Number.NaN;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function spread(xs: readonly number[], digits = 2): Spread {
  const v = xs.filter((x) => Number.isFinite(x));
  return {
    median: round(median(v), digits),
    min: v.length ? round(Math.min(...v), digits) : Number.NaN,
    max: v.length ? round(Math.max(...v), digits) : Number.NaN,
    runs: xs.map((x) => round(x, digits)),
  };
}

/**
 * The rate search of the DHCP benchmark: double from `start` while steps pass (up to `max`);
 * halve while they fail (down to `min`); once a pass and a failure bracket the limit, bisect
 * between the best pass and the lowest failure above it `refine` times. Returns the next rate
 * to try, or undefined when done. Pure: the caller runs the steps.
 */
export function nextRate(
  steps: ReadonlyArray<{ rate: number; pass: boolean }>,
  o: { start: number; max: number; min: number; refine: number },
): number | undefined {
  if (steps.length === 0) return o.start;
  const bracketAt = steps.findIndex((_, i) => {
    const upto = steps.slice(0, i + 1);
    return upto.some((s) => s.pass) && upto.some((s) => !s.pass);
  });
  const passes = steps.filter((s) => s.pass).map((s) => s.rate);
  if (bracketAt === -1) {
    if (passes.length) {
      const best = Math.max(...passes);
      return best >= o.max ? undefined : Math.min(o.max, best * 2);
    }
    const next = Math.floor(Math.min(...steps.map((s) => s.rate)) / 2);
    return next >= o.min ? next : undefined;
  }
  if (steps.length - 1 - bracketAt >= o.refine) return undefined;
  const best = Math.max(...passes);
  const above = steps.filter((s) => !s.pass && s.rate > best).map((s) => s.rate);
  if (above.length === 0) return best >= o.max ? undefined : Math.min(o.max, best * 2);
  const mid = Math.round((best + Math.min(...above)) / 2);
  return mid > best && mid < Math.min(...above) ? mid : undefined;
}
