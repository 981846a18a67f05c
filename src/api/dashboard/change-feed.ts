/**
 * One change signal for every open event stream of an API instance. Fed by the controller's
 * events (phases, actions, inventory) and, because some changes emit no event (the storm guard,
 * the leader lease, a standby following the leader's writes in the store), by a cheap fingerprint
 * of status and health polled while at least one stream is open. Coalesced: at most one signal
 * per `coalesceMs`, always with a trailing one, so a burst of transitions costs one refetch.
 */
import type { ControllerApi } from '../../controller/types.js';

export interface ChangeFeedOptions {
  /** Minimum gap between two signals. */
  coalesceMs?: number;
  /** How often the fingerprint is compared while someone listens. */
  pollMs?: number;
}

type Subscribe = (listener: () => void) => () => void;

/** The real controller offers `onEvent`; a controller without it (a test fake) is polled only. */
function eventSource(controller: ControllerApi): Subscribe | null {
  const c = controller as ControllerApi & { onEvent?: (l: () => void) => () => void };
  return typeof c.onEvent === 'function' ? (l) => c.onEvent!(l) : null;
}

export class ChangeFeed {
  private readonly listeners = new Set<(seq: number) => void>();
  private readonly coalesceMs: number;
  private readonly pollMs: number;
  private seq = 0;
  private lastSent = 0;
  private pending: ReturnType<typeof setTimeout> | null = null;
  private poller: ReturnType<typeof setInterval> | null = null;
  private unsubscribe: (() => void) | null = null;
  private fingerprint = '';
  private closed = false;

  constructor(private readonly controller: ControllerApi, opts: ChangeFeedOptions = {}) {
    this.coalesceMs = opts.coalesceMs ?? 250;
    this.pollMs = opts.pollMs ?? 2_000;
  }

  get size(): number {
    return this.listeners.size;
  }

  /** Returns the function that removes the listener; the first listener starts the sources, the last stops them. */
  listen(listener: (seq: number) => void): () => void {
    if (this.closed) return () => undefined;
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0) this.stop();
    };
  }

  /** Something changed: signal now if the last signal is old enough, else once the gap has passed. */
  touch(): void {
    if (this.closed || this.listeners.size === 0 || this.pending !== null) return;
    const wait = Math.max(0, this.lastSent + this.coalesceMs - Date.now());
    // Even at wait 0 a timer: the writes that follow an event in the same tick land first.
    this.pending = setTimeout(() => this.fire(), Math.max(wait, 20));
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.stop();
  }

  private fire(): void {
    this.pending = null;
    this.lastSent = Date.now();
    this.seq++;
    for (const l of [...this.listeners]) l(this.seq);
  }

  private start(): void {
    const subscribe = eventSource(this.controller);
    this.unsubscribe = subscribe ? subscribe(() => this.touch()) : null;
    void this.sample().then((f) => (this.fingerprint = f));
    this.poller = setInterval(() => void this.poll(), this.pollMs);
    this.poller.unref?.();
  }

  private stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.poller !== null) clearInterval(this.poller);
    this.poller = null;
    if (this.pending !== null) clearTimeout(this.pending);
    this.pending = null;
  }

  private async poll(): Promise<void> {
    try {
      const f = await this.sample();
      if (f !== this.fingerprint) {
        this.fingerprint = f;
        this.touch();
      }
    } catch {
      // A failing store read is the dashboard's next fetch to report, not the feed's.
    }
  }

  private async sample(): Promise<string> {
    const h = await this.controller.health();
    const targets = this.controller.status().map((s) => `${s.targetId}|${s.phase}|${s.rung}|${s.incidentId}|${s.reason}`);
    return JSON.stringify([h.leader, h.epoch, h.holder, h.safetyGuard, h.openIncidents, h.destructiveInFlight, targets]);
  }
}
