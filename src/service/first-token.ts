/**
 * First start: with no API token in the store, create an admin token and write it to a file only
 * its owner can read. The log says where the file is, never what is in it.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Logger as PinoLogger } from 'pino';
import { issueToken } from '../api/auth/tokens.js';
import type { Store } from '../store/index.js';
import { parseStoreUrl } from '../store/url.js';

export const FIRST_ADMIN_NAME = 'admin';
/** Where the CLI looks when neither RRC_TOKEN nor --token-file is given (the demo's file). */
export const DEFAULT_TOKEN_FILE = '.3rc/admin-token';

/** Beside the SQLite file; for other stores in ./.3rc/ (the CLI's default place). */
export function defaultTokenFile(storeUrl: string, cwd = process.cwd()): string {
  const target = parseStoreUrl(storeUrl, cwd);
  return target.provider === 'sqlite' ? join(dirname(target.path), 'admin-token') : resolve(cwd, DEFAULT_TOKEN_FILE);
}

/** Returns the file written, or null when tokens already exist. */
export async function ensureFirstAdminToken(store: Store, tokenFile: string, now: number, log: PinoLogger): Promise<string | null> {
  if ((await store.listApiTokens()).length > 0) return null;
  const { token } = await issueToken(store, { name: FIRST_ADMIN_NAME, role: 'admin', createdBy: 'first-start', now });
  mkdirSync(dirname(tokenFile), { recursive: true, mode: 0o700 });
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  // `mode` applies only when the file is created: an old file keeps its bits otherwise.
  chmodSync(tokenFile, 0o600);
  log.warn({ tokenFile }, `no API token existed: an admin token was written to ${tokenFile} (mode 0600); the CLI reads it with --token-file, create others with 3rc token create`);
  return tokenFile;
}
