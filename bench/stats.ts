/**
 * The statistics of the bench: pure functions over plain number arrays, pinned by
 * test/unit/bench/stats.test.ts. Percentiles are nearest-rank (the smallest sample with at least
 * p % of the samples at or below it), so every reported percentile is a measured value.
 */

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); 0 for fewer than two samples. */
  sd: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Sample standard deviation (Bessel's correction), two-pass for accuracy. */
export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (xs.length - 1));
}

/** Nearest-rank percentile of already sorted (ascending) samples; p in [0, 100]. */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  if (p <= 0) return sorted[0]!;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function percentile(xs: readonly number[], p: number): number {
  return percentileSorted([...xs].sort((a, b) => a - b), p);
}

/** Share of samples strictly below `limit` (0 for no samples). */
export function shareBelow(xs: readonly number[], limit: number): number {
  if (xs.length === 0) return 0;
  let below = 0;
  for (const x of xs) if (x < limit) below++;
  return below / xs.length;
}

/** Rounds to `digits` decimals, so the JSON stays readable and byte-stable. */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function summarize(xs: readonly number[], digits = 2): Summary {
  const sorted = [...xs].sort((a, b) => a - b);
  return {
    n: sorted.length,
    mean: round(mean(sorted), digits),
    sd: round(sd(sorted), digits),
    p50: round(percentileSorted(sorted, 50), digits),
    p95: round(percentileSorted(sorted, 95), digits),
    p99: round(percentileSorted(sorted, 99), digits),
    max: round(sorted.length ? sorted[sorted.length - 1]! : 0, digits),
  };
}

/** Counts of samples per bin of `width` starting at 0; the last bin takes everything above. */
export function histogram(xs: readonly number[], width: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (const x of xs) {
    const i = Math.min(bins - 1, Math.max(0, Math.floor(x / width)));
    counts[i]!++;
  }
  return counts;
}

/** Gaussian density at x. */
export function normalPdf(x: number, mu: number, sigma: number): number {
  const z = (x - mu) / sigma;
  return Math.exp(-0.5 * z * z) / (sigma * Math.sqrt(2 * Math.PI));
}

/**
 * Whole counts per key from weights (largest remainder), summing exactly to `total`; ties go to
 * the key listed first. Used to turn the mix's proportions into exact per-class counts.
 */
export function apportion<K extends string>(weights: ReadonlyArray<readonly [K, number]>, total: number): Map<K, number> {
  const sum = weights.reduce((s, [, w]) => s + w, 0);
  const out = new Map<K, number>();
  if (sum <= 0 || total <= 0) {
    for (const [k] of weights) out.set(k, 0);
    return out;
  }
  const exact = weights.map(([k, w], i) => ({ k, i, q: (w / sum) * total }));
  let given = 0;
  for (const e of exact) {
    out.set(e.k, Math.floor(e.q));
    given += Math.floor(e.q);
  }
  const order = [...exact].sort((a, b) => b.q - Math.floor(b.q) - (a.q - Math.floor(a.q)) || a.i - b.i);
  for (let j = 0; given < total; j++, given++) {
    const e = order[j % order.length]!;
    out.set(e.k, out.get(e.k)! + 1);
  }
  return out;
}
