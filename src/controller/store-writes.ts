/**
 * Store writes of the targets' write chains, retried instead of swallowed (issue 9: one failed
 * write at the start of an action left a target "recovering" for 20 minutes). A write that fails
 * is logged and counted (health()), and tried again later with backoff on the env clock: the
 * retry is a clock timer that puts the write back in the target's chain, so the chain itself
 * never sleeps (idle() and the virtual-time runners wait for chains, not for timers).
 */
import type { Clock, Logger } from '../env/env.js';
import { errorText, isRrcError } from '../errors.js';

export interface StoreWriteHealth {
  /** Store writes that failed (each failed try counts). */
  storeWriteFailures: number;
  /** The last failure: what was written, for which target, the error and when. */
  lastStoreError: { what: string; target: string; error: string; at: number } | null;
  /** Writes given up after the last retry. */
  storeWritesAbandoned: number;
}

export interface StoreWriteRetryOptions {
  /** Deferred tries after the first failure. Default 4 (after 1, 2, 4, 8 s). */
  retries: number;
  /** Backoff of the first deferred try; doubled each time. Default 1 s. */
  firstBackoffMs: number;
}

export const DEFAULT_STORE_WRITE_RETRY: StoreWriteRetryOptions = { retries: 4, firstBackoffMs: 1000 };

export class StoreWrites {
  readonly health: StoreWriteHealth = { storeWriteFailures: 0, lastStoreError: null, storeWritesAbandoned: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: StoreWriteRetryOptions = DEFAULT_STORE_WRITE_RETRY,
  ) {}

  /**
   * Runs `write` now; on failure records it and returns false. `requeue` puts a retry in the
   * target's chain; it is called on the clock after the backoff, at most `retries` times, and
   * `giveUp` after the last failure. Never throws.
   */
  async attempt(
    target: string,
    what: string,
    write: () => Promise<void>,
    requeue: (retry: () => Promise<void>) => void,
    giveUp?: (error: string) => void,
    tried = 0,
  ): Promise<boolean> {
    try {
      await write();
      if (tried > 0) this.log.info({ target, write: what, tries: tried + 1 }, `store write succeeded on try ${tried + 1}: ${what}`);
      return true;
    } catch (e) {
      const backoffMs = this.failed(target, what, e, tried + 1);
      if (backoffMs === null) giveUp?.(errorText(e));
      else this.clock.setTimeout(() => requeue(() => this.attempt(target, what, write, requeue, giveUp, tried + 1).then(() => undefined)), backoffMs);
      return false;
    }
  }

  /**
   * Records the `tries`-th failure of a write (logged, counted) and returns the backoff before the
   * next try, or null when that was the last one.
   */
  failed(target: string, what: string, e: unknown, tries: number): number | null {
    const error = errorText(e);
    this.health.storeWriteFailures++;
    this.health.lastStoreError = { what, target, error, at: this.clock.now() };
    // A write refused for a stale leader epoch is refused for good: this controller no longer leads.
    if (isRrcError(e, 'RRC_ERR_STALE_EPOCH')) {
      this.health.storeWritesAbandoned++;
      this.log.warn({ target, write: what, error }, `store write refused: this controller no longer leads, not retried: ${what}`);
      return null;
    }
    if (tries > this.opts.retries) {
      this.health.storeWritesAbandoned++;
      this.log.error({ target, write: what, error, tries }, `store write failed ${tries} times, given up: ${what}`);
      return null;
    }
    const backoffMs = this.opts.firstBackoffMs * 2 ** (tries - 1);
    this.log.error({ target, write: what, error, retryInMs: backoffMs }, `store write failed, retrying in ${backoffMs / 1000} s: ${what}`);
    return backoffMs;
  }
}
