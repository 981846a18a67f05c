/**
 * The storm guard: while the controller's own vantage point fails its self-check, or while a
 * "cliff" of hosts that were healthy turned bad within a short window, the likelier cause is on
 * the controller's side (its network, a switch): destructive actions are held. It stays on while
 * the hosts of the cliff are still bad, so a long cut does not release it after the window; but a
 * partial cliff (more hosts answering than the cliff silenced, self-check passing) is released
 * after `partialReleaseSeconds`: the controller plainly sees the rest of the rack, and each host is
 * then judged by the evidence gate (peers that cannot reach it either) at the concurrency limits' rate.
 * Turning on and off is logged once each, at warn.
 */
import type { StormGuardPolicy } from '../../core/policy.js';
import type { SelfCheck } from '../../env/env.js';
import type { Logger } from '../../env/env.js';

export interface GuardState {
  on: boolean;
  /** Why destructive actions are held; null while off. */
  reason: string | null;
  selfCheckFailed: string[];
  /** Hosts of the current cliff still bad. */
  cliffHosts: string[];
}

export class StormGuard {
  /** Host -> when it turned bad (a host that was healthy and is not anymore). */
  private readonly badSince = new Map<string, number>();
  private cliff: { hosts: Set<string>; spanMs: number; seenAt: number } | null = null;
  /** Latest observation: its time and how many hosts answered healthy. */
  private now = 0;
  private healthyHosts = 0;
  private selfCheck: SelfCheck = { ok: true, failed: [] };
  private announced: string | null = null;
  /** Hosts in the rack when the cliff was seen (the reason's denominator). */
  private total = 0;
  /** Hosts in the rack when the cliff was seen (the reason's denominator). */
  constructor(
    private readonly policy: StormGuardPolicy,
    private readonly log: Logger,
  ) {}

  /** After each cycle's host probes: which hosts answer healthy now (every host, sorted). */
  observeHosts(hosts: ReadonlyArray<{ name: string; healthy: boolean }>, now: number): void {
    for (const h of hosts) {
      if (h.healthy) this.badSince.delete(h.name);
      else if (!this.badSince.has(h.name)) this.badSince.set(h.name, now);
    }
    for (const name of this.badSince.keys()) if (!hosts.some((h) => h.name === name)) this.badSince.delete(name);
    this.now = now;
    this.healthyHosts = hosts.reduce((n, h) => n + (h.healthy ? 1 : 0), 0);
    this.updateCliff(hosts.length, now);
    this.announce();
  }

  observeSelfCheck(result: SelfCheck): void {
    this.selfCheck = result;
    this.announce();
  }

  state(): GuardState {
    const reason = this.reason();
    return { on: reason !== null, reason, selfCheckFailed: [...this.selfCheck.failed], cliffHosts: this.cliff ? [...this.cliff.hosts].sort() : [] };
  }

  private threshold(total: number): number {
    return Math.max(this.policy.minTargets, Math.ceil(this.policy.share * total));
  }

  private updateCliff(total: number, now: number): void {
    const windowMs = this.policy.windowSeconds * 1000;
    if (this.cliff) {
      for (const h of this.cliff.hosts) if (!this.badSince.has(h)) this.cliff.hosts.delete(h);
      if (this.cliff.hosts.size < this.threshold(total)) this.cliff = null;
    }
    if (this.cliff) return;
    const recent = [...this.badSince.entries()].filter(([, t]) => now - t <= windowMs);
    if (recent.length === 0 || recent.length < this.threshold(total)) return;
    const times = recent.map(([, t]) => t);
    this.cliff = { hosts: new Set(recent.map(([h]) => h)), spanMs: Math.max(...times) - Math.min(...times), seenAt: now };
    this.total = total;
  }

  private reason(): string | null {
    if (!this.selfCheck.ok) return `self-check failed: ${this.selfCheck.failed.join(', ') || 'unknown'}`;
    if (this.cliff && !this.partialCliffReleased()) {
      return `storm guard: ${this.cliff.hosts.size} of ${this.total} hosts turned bad within ${Math.round(this.cliff.spanMs / 1000)} s`;
    }
    return null;
  }

  /**
   * A cliff that left more hosts answering than it silenced, held long enough (the self-check is
   * checked first). Hosts already bad before the cliff are left out of the count: each turned bad on
   * its own and is judged on its own, so they say nothing about the controller's vantage point now;
   * counting them let a minority cliff hold for as long as unrelated failures lasted.
   */
  private partialCliffReleased(): boolean {
    if (!this.cliff) return false;
    const mostAnswer = this.healthyHosts > this.cliff.hosts.size;
    return mostAnswer && this.now - this.cliff.seenAt >= this.policy.partialReleaseSeconds * 1000;
  }

  private announce(): void {
    const reason = this.reason();
    if (reason === this.announced) return;
    if (reason !== null && this.announced === null) this.log.warn({ alert: true, guard: 'on', reason }, `destructive actions held: ${reason}`);
    else if (reason === null && this.partialCliffReleased()) {
      this.log.warn(
        { guard: 'off', was: this.announced, released: 'partial cliff' },
        `destructive actions allowed again after ${this.policy.partialReleaseSeconds} s: more hosts answer than the cliff silenced, each bad one is judged by the evidence gate`,
      );
    } else if (reason === null) this.log.warn({ guard: 'off', was: this.announced }, 'destructive actions allowed again');
    this.announced = reason;
  }
}
