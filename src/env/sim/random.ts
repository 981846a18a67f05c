/**
 * Seeded pseudo-random numbers, so a simulated run is reproducible from one seed.
 * Generator: xoshiro128** (Blackman & Vigna), 128-bit state seeded through splitmix32. Fast,
 * well distributed, and `fork(label)` derives independent streams without touching the parent.
 */

/** 32-bit FNV-1a of a string, to accept readable seeds such as "bench-42". */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export type Seed = number | string;

export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** Box–Muller yields two normals per draw; the second is kept for the next call. */
  private spareNormal: number | null = null;

  constructor(seed: Seed = 1) {
    const mix = splitmix32(typeof seed === 'string' ? hashString(seed) : Math.trunc(seed));
    this.s0 = mix();
    this.s1 = mix();
    this.s2 = mix();
    this.s3 = mix();
  }

  /** Uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** Uniform in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.next();
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Normal (Gaussian) by Box–Muller. */
  normal(mean = 0, sd = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + sd * z;
    }
    const u1 = 1 - this.next(); // (0, 1]: log(0) would be -Infinity
    const u2 = this.next();
    const radius = Math.sqrt(-2 * Math.log(u1));
    this.spareNormal = radius * Math.sin(2 * Math.PI * u2);
    return mean + sd * radius * Math.cos(2 * Math.PI * u2);
  }

  /** Log-normal: exp of a normal with mean `mu` and deviation `sigma` (parameters of the log). */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }

  /** Log-normal given the mean and deviation of the variable itself (not of its log). */
  lognormalMeanSd(mean: number, sd: number): number {
    const sigma2 = Math.log(1 + (sd * sd) / (mean * mean));
    return this.lognormal(Math.log(mean) - sigma2 / 2, Math.sqrt(sigma2));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Random.pick: empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** An independent stream derived from this one's current state and a label. */
  fork(label: string): Random {
    return new Random(`${this.s0}:${this.s1}:${this.s2}:${this.s3}:${label}`);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export function createRandom(seed: Seed = 1): Random {
  return new Random(seed);
}
