/**
 * Every controller of the pair, leader and standbys, writes its heartbeat row (id, rank, the role
 * it believes, API URL, last seen, epoch seen) at the lease renewal interval, so that the leader's
 * dashboard can list the standbys and tell a live one from a stopped one (pair-view.ts). A failed
 * write is logged and retried at the next beat: the heartbeat never touches the lease.
 */
import type { Clock, Logger } from '../env/env.js';
import { errorText } from '../errors.js';
import type { Store } from '../store/types.js';
import type { Leadership } from './leadership.js';

/** Rows not seen for this long are deleted (by the leader): a controller gone for good drops off. */
export const HEARTBEAT_RETENTION_MS = 60 * 60_000;
/** The leader prunes at most this often. */
const PRUNE_EVERY_MS = 60_000;

export interface HeartbeatOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  leadership: Leadership;
  /** Default: the leadership's renewal period. */
  everyMs?: number;
}

export class ControllerHeartbeat {
  private readonly everyMs: number;
  private apiUrl: string | null = null;
  private running = false;
  private timer: unknown = null;
  private inFlight: Promise<void> | null = null;
  private lastPruneAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: HeartbeatOptions) {
    this.everyMs = opts.everyMs ?? opts.leadership.renewEveryMs;
  }

  /** First beat now, then every period. */
  async start(): Promise<void> {
    this.running = true;
    await this.tick();
  }

  /** Stops beating; the row stays (it turns stale, which is what a stopped standby should look like). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== null) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  /** The API address, once the controller listens: written at once. */
  async setApiUrl(url: string | null): Promise<void> {
    this.apiUrl = url;
    if (this.running) await this.beat();
  }

  /** Resolves when no beat is under way (tests on a virtual clock). */
  async settled(): Promise<void> {
    await this.inFlight;
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, this.everyMs);
    await this.beat();
  }

  /** One write at a time: a beat still under way (slow store) is not doubled. */
  private beat(): Promise<void> {
    this.inFlight ??= this.write().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async write(): Promise<void> {
    const { store, clock, log, leadership } = this.opts;
    const now = clock.now();
    const status = leadership.status();
    try {
      await store.recordHeartbeat({
        cluster: leadership.cluster,
        controller: leadership.holder,
        rank: leadership.rank,
        role: status.leader ? 'leader' : 'standby',
        apiUrl: this.apiUrl,
        lastSeenAt: now,
        epochSeen: status.epoch,
      });
      if (status.leader && now - this.lastPruneAt >= PRUNE_EVERY_MS) {
        this.lastPruneAt = now;
        await store.pruneHeartbeats(leadership.cluster, now - HEARTBEAT_RETENTION_MS);
      }
    } catch (e) {
      log.warn({ error: errorText(e) }, 'controller heartbeat not written (next beat retries)');
    }
  }
}
