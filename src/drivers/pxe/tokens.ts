/**
 * One-time tokens for the install-complete callback, bound to the machine being reinstalled.
 *
 * A token is issued when a reinstall starts (one outstanding per host; a new one replaces it).
 * It is bound to the MAC that then gets a DHCP lease while its netboot is on, and to the address
 * leased to it. From then on:
 *  - the kickstart (which embeds the token) is served only to a request from that address;
 *  - the callback is accepted only from that address, naming that MAC, while that MAC's netboot
 *    is still on, and only once.
 * Before such a lease nobody gets the token. Anything else is refused with its reason, and a
 * refusal never uses the token up (a stranger cannot spend it to stop the real installer).
 * A consumed token is remembered (a few per host) so that a replay is told apart from a forgery:
 * replay -> 'used', anything else -> 'invalid'.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../env/env.js';

/** Why a kickstart or callback was refused. */
export type TokenRefusal =
  | 'invalid'
  | 'used'
  | 'expired'
  /** No reinstall of this host is in progress (no outstanding token). */
  | 'no-reinstall'
  /** The host has had no DHCP lease with netboot on since the reinstall started. */
  | 'no-lease'
  | 'wrong-address'
  | 'wrong-mac'
  | 'netboot-off';

export type ConsumeResult = 'ok' | TokenRefusal;

export interface TokenLease {
  mac: string;
  ip: string;
}

interface Outstanding {
  hash: Buffer;
  token: string;
  expiresAt: number;
  lease?: TokenLease;
}

/** What the caller knows about the request. `mac` is normalized (aa:bb:...) or undefined when not given. */
export interface TokenRequest {
  from: string;
  mac?: string;
  isNetbootEnabled(mac: string): boolean;
}

const USED_KEPT = 8;

const sha = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Node reports IPv4 peers of a dual-stack socket as ::ffff:a.b.c.d. */
export function plainIpv4(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export class InstallTokens {
  private readonly pending = new Map<string, Outstanding>();
  private readonly used = new Map<string, Buffer[]>();

  constructor(private readonly clock: Clock, private readonly ttlMs = 6 * 3600_000) {}

  /** A fresh URL-safe token for `host`, not bound to any lease yet (replaces any outstanding one). */
  issue(host: string): string {
    const token = randomBytes(24).toString('base64url');
    this.pending.set(host, { hash: sha(token), token, expiresAt: this.clock.now() + this.ttlMs });
    return token;
  }

  /**
   * The DHCP server acked `ip` to `mac` of `host` with netboot on: the outstanding token (if any)
   * is bound to them. A later lease of the same host (iPXE, then the installer, ask again) rebinds.
   */
  bindLease(host: string, lease: TokenLease): boolean {
    const p = this.pending.get(host);
    if (!p || p.expiresAt <= this.clock.now()) return false;
    p.lease = { mac: lease.mac, ip: plainIpv4(lease.ip) };
    return true;
  }

  /** The lease the outstanding token of `host` is bound to (tests, status). */
  leaseOf(host: string): TokenLease | undefined {
    const l = this.pending.get(host)?.lease;
    return l ? { ...l } : undefined;
  }

  /** The token to embed in `host`'s kickstart for this request, or why it is not handed out. */
  forKickstart(host: string, req: TokenRequest): { token: string; lease: TokenLease } | { refused: TokenRefusal } {
    const p = this.pending.get(host);
    if (!p) return { refused: 'no-reinstall' };
    if (p.expiresAt <= this.clock.now()) return { refused: 'expired' };
    const refused = this.bindingRefusal(p, req, false);
    return refused ? { refused } : { token: p.token, lease: { ...p.lease! } };
  }

  /** Checks the callback; only 'ok' uses the token up. */
  consume(host: string, token: string, req: TokenRequest): ConsumeResult {
    const h = sha(token);
    const p = this.pending.get(host);
    if (!p || !timingSafeEqual(p.hash, h)) {
      return (this.used.get(host) ?? []).some((u) => timingSafeEqual(u, h)) ? 'used' : 'invalid';
    }
    if (p.expiresAt <= this.clock.now()) return 'expired';
    const refused = this.bindingRefusal(p, req, true);
    if (refused) return refused;
    this.pending.delete(host);
    this.used.set(host, [h, ...(this.used.get(host) ?? [])].slice(0, USED_KEPT));
    return 'ok';
  }

  private bindingRefusal(p: Outstanding, req: TokenRequest, needMac: boolean): TokenRefusal | undefined {
    if (!p.lease) return 'no-lease';
    if (plainIpv4(req.from) !== p.lease.ip) return 'wrong-address';
    if (needMac && req.mac !== p.lease.mac) return 'wrong-mac';
    if (!req.isNetbootEnabled(p.lease.mac)) return 'netboot-off';
    return undefined;
  }
}

/** What each refusal tells the client (and the log). */
export const REFUSAL_TEXT: Record<TokenRefusal, string> = {
  'invalid': 'invalid token',
  'used': 'token already used',
  'expired': 'token expired',
  'no-reinstall': 'no reinstall of this host is in progress',
  'no-lease': 'this host has not taken its DHCP lease for the reinstall yet',
  'wrong-address': 'request not from the address leased to the host being reinstalled',
  'wrong-mac': 'MAC missing or not the one that netbooted for this reinstall',
  'netboot-off': 'netboot of this host has ended',
};
