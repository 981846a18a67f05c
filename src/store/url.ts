/**
 * Store URLs: `file:`/`sqlite:` (SQLite file), `postgres://`/`postgresql://` (optionally with
 * `?schema=<name>`), `memory:`. Parsing is kept apart so that error texts never leak a password.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RrcError } from '../errors.js';

export const DEFAULT_STORE_URL = 'file:./3rc.db';

export type StoreTarget =
  | { provider: 'memory' }
  | { provider: 'sqlite'; path: string }
  | { provider: 'postgresql'; connectionString: string; schema: string };

/** The URL with any password replaced by `***`, fit for logs and error messages. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) {
      u.password = '***';
      return u.toString();
    }
    return url;
  } catch {
    return url.replace(/(\/\/[^/:@]*:)[^@/]*@/, '$1***@');
  }
}

const PG_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

export function parseStoreUrl(url: string, cwd = process.cwd()): StoreTarget {
  if (url === 'memory:' || url.startsWith('memory:')) return { provider: 'memory' };

  if (url.startsWith('file:') || url.startsWith('sqlite:')) {
    let rest = url.slice(url.indexOf(':') + 1);
    const q = rest.indexOf('?');
    if (q >= 0) rest = rest.slice(0, q); // Prisma-style options such as ?connection_limit= do not apply
    let path: string;
    if (rest.startsWith('//')) {
      path = fileURLToPath(`file:${rest}`); // file:///abs/path.db
    } else {
      path = rest;
    }
    if (path === '' || path === ':memory:') {
      throw new RrcError('RRC_ERR_STORE', `store URL "${maskUrl(url)}" names no SQLite file (use memory: for an in-memory store)`);
    }
    return { provider: 'sqlite', path: isAbsolute(path) ? path : resolve(cwd, path) };
  }

  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new RrcError('RRC_ERR_STORE', `invalid PostgreSQL URL "${maskUrl(url)}"`);
    }
    const schema = u.searchParams.get('schema') ?? 'public';
    if (!PG_IDENTIFIER.test(schema)) {
      throw new RrcError('RRC_ERR_STORE', `invalid schema "${schema}" in "${maskUrl(url)}" (letters, digits, _ and $ only)`);
    }
    // pg does not know `schema`; the store applies it through search_path and the adapter option.
    u.searchParams.delete('schema');
    return { provider: 'postgresql', connectionString: u.toString(), schema };
  }

  throw new RrcError(
    'RRC_ERR_STORE',
    `unsupported store URL "${maskUrl(url)}" (expected file:<path>, sqlite:<path>, postgresql://..., or memory:)`,
  );
}
