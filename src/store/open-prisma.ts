/**
 * Opening the Prisma-backed stores: migrate first through a plain driver connection, then hand the
 * database to a generated client with its driver adapter. Generated clients are imported lazily so
 * that `memory:` works without `npm run generate`.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { RrcError } from '../errors.js';
import { migratePostgres, migrateSqlite } from './migrate.js';
import { PrismaStore } from './prisma-store.js';
import type { PrismaClient } from './generated/sqlite/client.js';
import type { StoreOptions } from './records.js';

export interface OpenOptions extends StoreOptions {
  /** Migrations folder (tests point it at a scratch copy). */
  migrationsDir?: string;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function importClient(flavour: 'sqlite' | 'postgres'): Promise<new (opts: { adapter: unknown }) => PrismaClient> {
  try {
    const mod =
      flavour === 'sqlite'
        ? await import('./generated/sqlite/client.js')
        : await import('./generated/postgres/client.js');
    return mod.PrismaClient as unknown as new (opts: { adapter: unknown }) => PrismaClient;
  } catch (e) {
    throw new RrcError(
      'RRC_ERR_STORE',
      `the Prisma client for ${flavour} is not generated (src/store/generated/${flavour}): run \`npm run generate\` (${message(e)})`,
      { cause: e },
    );
  }
}

export async function openSqliteStore(path: string, shownUrl: string, opts: OpenOptions = {}): Promise<PrismaStore> {
  const where = `SQLite database ${path}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const raw = new Database(path, { timeout: 10_000 });
    try {
      raw.pragma('journal_mode = WAL'); // persistent in the file
      await migrateSqlite(raw, { dir: opts.migrationsDir, where });
    } finally {
      raw.close();
    }
  } catch (e) {
    if (e instanceof RrcError) throw e;
    throw new RrcError('RRC_ERR_STORE', `cannot open store ${shownUrl}: ${message(e)}`, { cause: e });
  }

  const Client = await importClient('sqlite');
  const { PrismaBetterSqlite3 } = await import('@prisma/adapter-better-sqlite3');
  const db = new Client({
    adapter: new PrismaBetterSqlite3({ url: path, timeout: 10_000 }, { timestampFormat: 'unixepoch-ms' }),
  });
  try {
    // Per-connection settings; WAL + NORMAL is ~6x faster than the defaults (PERSISTENCE.md).
    await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
    await db.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
    await db.$executeRawUnsafe('PRAGMA foreign_keys = ON');
  } catch (e) {
    await db.$disconnect().catch(() => undefined);
    throw new RrcError('RRC_ERR_STORE', `cannot open store ${shownUrl}: ${message(e)}`, { cause: e });
  }
  return new PrismaStore('sqlite', db, where, opts);
}

export async function openPostgresStore(
  target: { connectionString: string; schema: string },
  shownUrl: string,
  opts: OpenOptions = {},
): Promise<PrismaStore> {
  const where = `PostgreSQL ${shownUrl} (schema ${target.schema})`;
  const client = new pg.Client({ connectionString: target.connectionString, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined); // a dropped idle connection must not crash the process
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw new RrcError('RRC_ERR_STORE', `cannot connect to PostgreSQL at ${shownUrl}: ${message(e)}`, { cause: e });
  }
  try {
    await migratePostgres(client, { dir: opts.migrationsDir, schema: target.schema, where });
  } catch (e) {
    if (e instanceof RrcError) throw e;
    throw new RrcError('RRC_ERR_STORE', `migrating ${where} failed: ${message(e)}`, { cause: e });
  } finally {
    await client.end().catch(() => undefined);
  }

  const Client = await importClient('postgres');
  const { PrismaPg } = await import('@prisma/adapter-pg');
  const adapter = new PrismaPg(
    {
      connectionString: target.connectionString,
      connectionTimeoutMillis: 10_000,
      // Raw queries resolve unqualified names here; the adapter option qualifies Prisma's own.
      options: `-c search_path="${target.schema}"`,
    },
    { schema: target.schema, onPoolError: () => undefined },
  );
  const db = new Client({ adapter });
  try {
    await db.$queryRawUnsafe('SELECT 1');
  } catch (e) {
    await db.$disconnect().catch(() => undefined);
    throw new RrcError('RRC_ERR_STORE', `cannot connect to PostgreSQL at ${shownUrl}: ${message(e)}`, { cause: e });
  }
  return new PrismaStore('postgresql', db, where, opts);
}
