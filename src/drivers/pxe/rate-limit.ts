/**
 * A token bucket per key (a client MAC) with a bounded number of keys.
 *
 * Each key starts with `burst` tokens and gains one every `refillMs`, up to `burst`; a request
 * takes one or is refused. The buckets live in a Map used as an LRU list (a touched key is moved
 * to the end), and past `maxKeys` the least recently seen key is forgotten: a flood of random
 * MACs costs a fixed amount of memory. Forgetting a key only ever gives it a fresh, full bucket,
 * so an eviction can make the limiter more lenient to one key, never stricter.
 *
 * Time comes from the injected clock, so tests run on virtual time.
 */

export interface RateLimitOptions {
  /** Requests a key may make at once. */
  burst: number;
  /** One more request allowed per this many milliseconds, up to `burst`. */
  refillMs: number;
  /** Keys remembered at most. */
  maxKeys: number;
}

export interface RateLimitStats {
  allowed: number;
  limited: number;
  /** Keys forgotten to stay within maxKeys. */
  evicted: number;
  /** Keys remembered now. */
  tracked: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class KeyedRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private allowed = 0;
  private limited = 0;
  private evicted = 0;

  constructor(private readonly clock: { now(): number }, private readonly o: RateLimitOptions) {
    if (!(o.burst >= 1) || !(o.refillMs > 0) || !(o.maxKeys >= 1)) {
      throw new RangeError(`rate limit needs burst >= 1, refillMs > 0, maxKeys >= 1 (got ${JSON.stringify(o)})`);
    }
  }

  /** Takes one token for `key`; false when it has none left (the request is to be dropped). */
  take(key: string): boolean {
    const now = this.clock.now();
    let b = this.buckets.get(key);
    if (b !== undefined) {
      this.buckets.delete(key); // re-inserted below: most recently used at the end
      b.tokens = Math.min(this.o.burst, b.tokens + Math.max(0, now - b.at) / this.o.refillMs);
      b.at = now;
    } else {
      if (this.buckets.size >= this.o.maxKeys) {
        const oldest = this.buckets.keys().next().value as string;
        this.buckets.delete(oldest);
        this.evicted++;
      }
      b = { tokens: this.o.burst, at: now };
    }
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.allowed++;
      return true;
    }
    this.limited++;
    return false;
  }

  stats(): RateLimitStats {
    return { allowed: this.allowed, limited: this.limited, evicted: this.evicted, tracked: this.buckets.size };
  }
}
