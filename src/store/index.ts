/**
 * The store entry point: `openStore(url)` picks the implementation from the URL and applies
 * pending migrations before returning.
 *   file:<path> | sqlite:<path>                    SQLite file (default file:./3rc.db)
 *   postgres://... | postgresql://...[?schema=x]   PostgreSQL, in schema x (created if missing)
 *   memory:                                        in-memory, nothing persisted
 */
import { RrcError } from '../errors.js';
import { MemoryStore } from './memory-store.js';
import type { OpenOptions } from './open-prisma.js';
import type { Store } from './types.js';
import { DEFAULT_STORE_URL, maskUrl, parseStoreUrl } from './url.js';

export type * from './types.js';
export { MemoryStore } from './memory-store.js';
export { maskUrl, parseStoreUrl, DEFAULT_STORE_URL } from './url.js';
export type { StoreOptions } from './records.js';
export type { OpenOptions } from './open-prisma.js';

export async function openStore(url?: string, opts: OpenOptions = {}): Promise<Store> {
  const resolved = url ?? process.env.DATABASE_URL ?? DEFAULT_STORE_URL;
  const shown = maskUrl(resolved);
  const target = parseStoreUrl(resolved);
  try {
    switch (target.provider) {
      case 'memory':
        return new MemoryStore(opts);
      case 'sqlite': {
        const { openSqliteStore } = await import('./open-prisma.js');
        return await openSqliteStore(target.path, shown, opts);
      }
      case 'postgresql': {
        const { openPostgresStore } = await import('./open-prisma.js');
        return await openPostgresStore(target, shown, opts);
      }
    }
  } catch (e) {
    if (e instanceof RrcError) throw e;
    throw new RrcError('RRC_ERR_STORE', `cannot open store ${shown}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
}
