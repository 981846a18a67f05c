/**
 * API bearer tokens: 256 random bits, shown once, stored as their SHA-256. A slow hash (scrypt)
 * protects guessable passwords; a 256-bit random token cannot be guessed, and a fast hash keeps
 * every request's lookup cheap (one index lookup, no CPU an attacker can make us burn).
 */
import { createHash, randomBytes } from 'node:crypto';
import { RrcError } from '../../errors.js';
import type { ApiTokenRecord, Role, Store } from '../../store/types.js';
import { ROLES } from '../../store/types.js';

/** Recognizable in a leaked file or a secret scanner's rules. */
export const TOKEN_PREFIX = '3rc_';
const TOKEN_RE = /^3rc_[A-Za-z0-9_-]{43}$/;
export const TOKEN_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@:+-]{0,63}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function looksLikeToken(token: string): boolean {
  return TOKEN_RE.test(token);
}

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

/** Creates and stores a token; returns it (the only time it exists outside the client). */
export async function issueToken(store: Store, opts: { name: string; role: Role; createdBy: string; now: number }): Promise<{ token: string; record: ApiTokenRecord }> {
  if (!TOKEN_NAME_RE.test(opts.name)) throw new RrcError('RRC_ERR_VALIDATION', 'name: must be 1-64 letters, digits or _.@:+-');
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const record: ApiTokenRecord = { name: opts.name, role: opts.role, hash: hashToken(token), createdAt: opts.now, createdBy: opts.createdBy };
  await store.addApiToken(record);
  return { token, record };
}

/** The token's record, or null when it is malformed, unknown or revoked. */
export async function verifyToken(store: Store, token: string): Promise<ApiTokenRecord | null> {
  if (!looksLikeToken(token)) return null;
  return store.findApiTokenByHash(hashToken(token));
}
