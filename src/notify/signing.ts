/**
 * Webhook signatures: HMAC-SHA256 over `<timestamp>.<raw body>` with the receiver's secret, sent as
 * `X-3RC-Signature: sha256=<hex>` beside `X-3RC-Timestamp: <unix seconds>`. The timestamp is inside
 * the MAC, so a receiver that refuses old timestamps cannot be fed a captured request again.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-3rc-signature';
export const TIMESTAMP_HEADER = 'x-3rc-timestamp';
export const EVENT_HEADER = 'x-3rc-event';
export const DELIVERY_HEADER = 'x-3rc-delivery';

/** Default age a receiver accepts (both ways, for clock skew). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function mac(secret: string, timestamp: number, body: string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
}

/** The two headers for `body` sent at `nowMs`. */
export function signBody(body: string, secret: string, nowMs: number): { timestamp: string; signature: string } {
  const timestamp = Math.floor(nowMs / 1000);
  return { timestamp: String(timestamp), signature: `sha256=${mac(secret, timestamp, body).toString('hex')}` };
}

export type Verification = { ok: true } | { ok: false; reason: string };

/** What a receiver runs (exported for receivers written in TypeScript, and for the tests). */
export function verifySignature(opts: {
  body: string;
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  nowMs: number;
  toleranceSeconds?: number;
}): Verification {
  const { timestamp, signature } = opts;
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'missing or malformed timestamp' };
  const m = signature === undefined ? null : /^sha256=([0-9a-f]{64})$/.exec(signature);
  if (!m) return { ok: false, reason: 'missing or malformed signature' };
  const age = Math.abs(opts.nowMs / 1000 - Number(timestamp));
  if (age > (opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { ok: false, reason: `timestamp ${timestamp} outside the tolerance (replay?)` };
  const expected = mac(opts.secret, Number(timestamp), opts.body);
  if (!timingSafeEqual(expected, Buffer.from(m[1]!, 'hex'))) return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}
