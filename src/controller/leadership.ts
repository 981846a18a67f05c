/**
 * Who leads among the controllers sharing one database: a lease row in the store (holder, epoch,
 * expiry). The leader renews it every few seconds; a standby polls and takes it once it has
 * expired (higher ranks first: lower ones wait a little longer). Losing it (a failed or refused
 * renewal, a renewal that could not land before expiry, a write the store refused for a stale
 * epoch, a step-down) stops the leader at once; its epoch stays as the fence of whatever it still
 * had in flight, which the store then refuses once a new leader holds a higher epoch.
 */
import type { Clock, Logger } from '../env/env.js';
import { errorText, RrcError } from '../errors.js';
import type { LeaseRecord, Store, WriteFence } from '../store/types.js';

export const DEFAULT_LEASE = { leaseMs: 9_000, renewEveryMs: 3_000, pollEveryMs: 1_000 } as const;
/** A standby of rank r waits (RANKS_WAITED - r) × RANK_STEP_MS past expiry: higher ranks go first. */
const RANKS_WAITED = 3;
const RANK_STEP_MS = 1_000;

export interface LeadershipOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  /** This controller, unique among those sharing the database. */
  holder: string;
  /** The lease row: one per cluster. */
  cluster?: string;
  rank?: number;
  leaseMs?: number;
  renewEveryMs?: number;
  pollEveryMs?: number;
  /** SQLite: one controller per file: start() refuses when another holds the lease, instead of waiting. */
  exclusive?: boolean;
}

export interface LeadershipStatus {
  leader: boolean;
  epoch: number | null;
  holder: string | null;
  self: string;
  rank: number;
}

type Listener = (leading: boolean, reason: string) => void;

export class Leadership {
  readonly cluster: string;
  readonly holder: string;
  readonly rank: number;
  private readonly leaseMs: number;
  /** The leader's renewal period: the heartbeat (heartbeat.ts) beats at the same pace. */
  readonly renewEveryMs: number;
  private readonly pollEveryMs: number;
  private leading = false;
  private running = false;
  /** Epoch of the current or last term: the fence of every leader's write. */
  private termEpoch: number | null = null;
  /** Our lease's expiry as last confirmed by the store. */
  private confirmedUntil = 0;
  private lastSeen: LeaseRecord | null = null;
  /** After a step-down: no new term before this instant (another controller gets the chance). */
  private holdOffUntil = 0;
  private timer: unknown = null;
  /** The lease check under way, if any (tests on a virtual clock wait for it). */
  private inFlight: Promise<void> | null = null;
  private readonly listeners = new Set<Listener>();

  constructor(private readonly opts: LeadershipOptions) {
    this.cluster = opts.cluster ?? 'default';
    this.holder = opts.holder;
    this.rank = opts.rank ?? 0;
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE.leaseMs;
    this.renewEveryMs = opts.renewEveryMs ?? DEFAULT_LEASE.renewEveryMs;
    this.pollEveryMs = opts.pollEveryMs ?? DEFAULT_LEASE.pollEveryMs;
    if (this.renewEveryMs * 2 >= this.leaseMs) throw new RrcError('RRC_ERR_CONFIG_INVALID', 'the lease must last more than two renewal periods');
  }

  /** Resolves when no lease check is under way. */
  async settled(): Promise<void> {
    await this.inFlight;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get epoch(): number | null {
    return this.termEpoch;
  }

  /** The fence of a leader's write; a controller that never led fences with 0 (refused once any lease exists). */
  fence(): WriteFence {
    return { name: this.cluster, epoch: this.termEpoch ?? 0 };
  }

  status(): LeadershipStatus {
    const holder = this.leading ? this.holder : (this.lastSeen?.holder ?? null);
    return { leader: this.leading, epoch: this.leading ? this.termEpoch : (this.lastSeen?.epoch ?? null), holder, self: this.holder, rank: this.rank };
  }

  /** `leading` true when a term starts, false when it ends. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** First attempt now, then on schedule. Exclusive (SQLite): throws RRC_ERR_CONFLICT when another controller holds the lease. */
  async start(): Promise<void> {
    this.running = true;
    await this.tick();
    if (this.opts.exclusive && !this.leading) {
      this.running = false;
      this.clearTimer();
      const seen = this.lastSeen;
      throw new RrcError(
        'RRC_ERR_CONFLICT',
        `another controller (${seen?.holder ?? 'unknown'}) runs on this SQLite database; only one may ` +
          `(its lease runs until ${seen ? new Date(seen.expiresAt).toISOString() : 'unknown'}; use PostgreSQL for a controller pair)`,
      );
    }
  }

  /** Stops renewing; a leader releases its lease so that a standby need not wait for the expiry. */
  async stop(): Promise<void> {
    this.running = false;
    this.clearTimer();
    if (this.leading) await this.release('controller stopping');
  }

  /** Maintenance: releases the lease and stays a standby for two lease periods. */
  async stepDown(reason = 'step-down requested'): Promise<void> {
    this.holdOffUntil = this.opts.clock.now() + 2 * this.leaseMs;
    if (this.leading) await this.release(reason);
  }

  /** The store refused one of our writes for a stale epoch, or the leader cannot go on: the term ends now. */
  lose(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.opts.log.warn({ epoch: this.termEpoch, reason }, 'leadership lost');
    this.emit(false, reason);
  }

  private async release(reason: string): Promise<void> {
    const epoch = this.termEpoch;
    this.lose(reason);
    if (epoch === null) return;
    await this.opts.store
      .releaseLease(this.cluster, this.holder, epoch, this.opts.clock.now())
      .catch((e) => this.opts.log.warn({ error: errorText(e) }, 'lease release failed (it expires by itself)'));
  }

  private emit(leading: boolean, reason: string): void {
    for (const l of [...this.listeners]) l(leading, reason);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.clearTimer();
    if (!this.running) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, this.leading ? this.renewEveryMs : this.pollEveryMs);
  }

  private async tick(): Promise<void> {
    const now = this.opts.clock.now();
    // A renewal that has not come back by our expiry (store cut, process paused): stop acting.
    if (this.leading && now >= this.confirmedUntil) this.lose('lease expired before its renewal landed');
    // The next tick is set before this one's store call: a call that never returns must not stop the expiry check.
    this.schedule();
    if (this.inFlight) return;
    this.inFlight = this.check(now).finally(() => (this.inFlight = null));
    await this.inFlight;
  }

  private async check(now: number): Promise<void> {
    try {
      if (this.leading) await this.renew(now);
      else if (now >= this.holdOffUntil) await this.tryAcquire(now);
    } catch (e) {
      if (this.leading) this.lose(`lease renewal failed: ${errorText(e)}`);
      else this.opts.log.debug({ error: errorText(e) }, 'lease check failed');
    }
  }

  private request(now: number) {
    return { name: this.cluster, holder: this.holder, rank: this.rank, now, ttlMs: this.leaseMs };
  }

  private async renew(now: number): Promise<void> {
    const ok = await this.opts.store.renewLease({ ...this.request(now), epoch: this.termEpoch ?? 0 });
    if (!this.leading) return;
    if (ok) this.confirmedUntil = now + this.leaseMs;
    else this.lose('the lease was taken over');
  }

  private async tryAcquire(now: number): Promise<void> {
    const seen = await this.opts.store.getLease(this.cluster);
    this.lastSeen = seen;
    // Exclusive (SQLite): no other controller to give way to.
    const rankWait = this.opts.exclusive ? 0 : Math.max(0, RANKS_WAITED - this.rank) * RANK_STEP_MS;
    const ours = seen !== null && seen.holder === this.holder;
    if (seen !== null && !ours && now < seen.expiresAt + rankWait) return;
    const lease = await this.opts.store.acquireLease(this.request(now));
    this.lastSeen = lease;
    if (lease.holder !== this.holder || !this.running) return;
    this.termEpoch = lease.epoch;
    this.confirmedUntil = lease.expiresAt;
    this.leading = true;
    this.opts.log.info({ epoch: lease.epoch, holder: this.holder, rank: this.rank }, 'leadership taken');
    this.emit(true, 'lease taken');
  }
}
