/**
 * One-time tokens for the install-complete callback. One outstanding token per host; issuing a
 * new one replaces it. A consumed token is remembered (a few per host) so that a replay is told
 * apart from a forgery: replay -> 'used' (409), anything else -> 'invalid' (403).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../env/env.js';

export type ConsumeResult = 'ok' | 'used' | 'invalid' | 'expired';

interface Outstanding {
  hash: Buffer;
  token: string;
  expiresAt: number;
}

const USED_KEPT = 8;

const sha = (s: string): Buffer => createHash('sha256').update(s).digest();

export class OneTimeTokens {
  private readonly pending = new Map<string, Outstanding>();
  private readonly used = new Map<string, Buffer[]>();

  constructor(private readonly clock: Clock, private readonly ttlMs = 6 * 3600_000) {}

  /** A fresh URL-safe token for `host` (replaces any outstanding one). */
  issue(host: string): string {
    const token = randomBytes(24).toString('base64url');
    this.pending.set(host, { hash: sha(token), token, expiresAt: this.clock.now() + this.ttlMs });
    return token;
  }

  /** The outstanding token, if any and not expired (the kickstart embeds it). */
  current(host: string): string | undefined {
    const p = this.pending.get(host);
    return p && p.expiresAt > this.clock.now() ? p.token : undefined;
  }

  consume(host: string, token: string): ConsumeResult {
    const h = sha(token);
    const p = this.pending.get(host);
    if (p && timingSafeEqual(p.hash, h)) {
      this.pending.delete(host);
      const list = [h, ...(this.used.get(host) ?? [])].slice(0, USED_KEPT);
      this.used.set(host, list);
      return p.expiresAt > this.clock.now() ? 'ok' : 'expired';
    }
    if ((this.used.get(host) ?? []).some((u) => timingSafeEqual(u, h))) return 'used';
    return 'invalid';
  }
}
