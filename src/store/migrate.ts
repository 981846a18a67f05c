/**
 * The project's migration runner. Prisma 7's `migrate deploy` needs a native engine that cannot be
 * downloaded here, so this applies the same folders (`<timestamp>_<name>/migration.sql` plus
 * `migration_lock.toml`) and keeps the same `_prisma_migrations` bookkeeping, so that Prisma's own
 * `migrate deploy` / `migrate status` accept the database on a connected machine.
 * See /work/shared/PERSISTENCE.md.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { RrcError } from '../errors.js';

export type MigrationProvider = 'sqlite' | 'postgresql';

export const MIGRATIONS_DIR: Record<MigrationProvider, string> = {
  sqlite: fileURLToPath(new URL('../../prisma/migrations', import.meta.url)),
  postgresql: fileURLToPath(new URL('../../prisma/postgres/migrations', import.meta.url)),
};

/** Prisma's advisory-lock key, so that our runner and `prisma migrate deploy` exclude each other. */
export const PRISMA_ADVISORY_LOCK_KEY = 72707369;

export interface MigrationFile {
  name: string;
  sql: string;
  /** Lowercase hex sha256 of the file bytes, as Prisma computes it. */
  checksum: string;
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: string[];
}

/** Minimal connection the runner needs; one implementation per provider below. */
interface MigrationDb {
  provider: MigrationProvider;
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Runs a whole script as is (SQLite exec / pg simple-query protocol). */
  exec(script: string): Promise<void>;
  /** Placeholder for the i-th (1-based) parameter. */
  param(i: number): string;
  /** A timestamp value as this provider's bookkeeping stores it. */
  now(): unknown;
  /** Names of the user's tables in the target schema (Prisma's bookkeeping excluded). */
  userTables(): Promise<string[]>;
}

const TABLE = '_prisma_migrations';

// Prisma's own layouts, column for column.
const CREATE_TABLE: Record<MigrationProvider, string> = {
  sqlite: `CREATE TABLE "${TABLE}" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`,
  postgresql: `CREATE TABLE "${TABLE}" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`,
};

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Reads and checks a migrations folder: provider lock, then the migrations in name order. */
export function readMigrations(dir: string, provider: MigrationProvider): MigrationFile[] {
  const lockFile = join(dir, 'migration_lock.toml');
  if (!existsSync(lockFile)) {
    throw new RrcError('RRC_ERR_STORE', `migrations folder ${dir} has no migration_lock.toml`);
  }
  const lockProvider = /^\s*provider\s*=\s*"([^"]+)"/m.exec(readFileSync(lockFile, 'utf8'))?.[1];
  if (lockProvider !== provider) {
    throw new RrcError(
      'RRC_ERR_STORE',
      `migrations in ${dir} are for provider "${lockProvider ?? '?'}", the database is ${provider}`,
    );
  }
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .sort()
    .flatMap((name) => {
      const file = join(dir, name, 'migration.sql');
      if (!existsSync(file)) return []; // Prisma ignores folders without a script too
      const bytes = readFileSync(file);
      return [{ name, sql: bytes.toString('utf8'), checksum: sha256(bytes) }];
    });
}

/** Prisma also accepts a script whose line endings were converted by git (CRLF vs LF). */
function checksumMatches(m: MigrationFile, recorded: string): boolean {
  return recorded === m.checksum || recorded === sha256(m.sql.replace(/\r\n/g, '\n'));
}

interface AppliedRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: unknown;
  rolled_back_at: unknown;
  logs: string | null;
}

async function run(db: MigrationDb, migrations: MigrationFile[], where: string): Promise<MigrationReport> {
  const tables = await db.userTables();
  const bookkeeping = await db.query(
    db.provider === 'sqlite'
      ? `SELECT name FROM sqlite_master WHERE type = 'table' AND name = '${TABLE}'`
      : `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '${TABLE}'`,
  );
  if (bookkeeping.length === 0) {
    if (tables.length > 0) {
      throw new RrcError(
        'RRC_ERR_STORE',
        `${where} is not empty (tables: ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', ...' : ''}) ` +
          `but has no ${TABLE} table: refusing to migrate a database this runner did not create ` +
          '(baseline it with `prisma migrate resolve --applied` or use an empty database)',
      );
    }
    await db.exec(CREATE_TABLE[db.provider]);
  }

  const rows = (await db.query(
    `SELECT id, checksum, migration_name, finished_at, rolled_back_at, logs FROM "${TABLE}" ORDER BY started_at, migration_name`,
  )) as unknown as AppliedRow[];
  const live = rows.filter((r) => r.rolled_back_at === null);

  const failed = live.find((r) => r.finished_at === null);
  if (failed) {
    throw new RrcError(
      'RRC_ERR_STORE',
      `migration ${failed.migration_name} failed earlier in ${where} and is not resolved: ` +
        `${(failed.logs ?? 'no log').split('\n')[0]}. Repair the database, then mark it with ` +
        `\`prisma migrate resolve --rolled-back ${failed.migration_name}\` (or --applied)`,
    );
  }

  const byName = new Map(migrations.map((m) => [m.name, m]));
  const appliedNames = new Set<string>();
  for (const r of live) {
    const m = byName.get(r.migration_name);
    if (!m) {
      throw new RrcError(
        'RRC_ERR_STORE',
        `${where} has migration ${r.migration_name} applied, which this version does not know ` +
          '(database migrated by a newer 3RC?)',
      );
    }
    if (!checksumMatches(m, r.checksum)) {
      throw new RrcError(
        'RRC_ERR_STORE',
        `migration ${m.name} was modified after it was applied to ${where} ` +
          `(checksum ${r.checksum.slice(0, 12)}... recorded, file has ${m.checksum.slice(0, 12)}...): ` +
          'restore the original migration.sql and put changes in a new migration',
      );
    }
    appliedNames.add(m.name);
  }

  const report: MigrationReport = { applied: [], alreadyApplied: [...appliedNames] };
  const p = (i: number) => db.param(i);
  for (const m of migrations) {
    if (appliedNames.has(m.name)) continue;
    const id = randomUUID();
    await db.query(
      `INSERT INTO "${TABLE}" (id, checksum, migration_name, started_at, applied_steps_count) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, 0)`,
      [id, m.checksum, m.name, db.now()],
    );
    try {
      // No wrapping transaction, as Prisma: SQLite table rebuilds toggle PRAGMA foreign_keys,
      // which is a no-op inside a transaction. (pg runs a multi-statement simple query atomically.)
      await db.exec(m.sql);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      await db.query(`UPDATE "${TABLE}" SET logs = ${p(1)} WHERE id = ${p(2)}`, [msg, id]);
      throw new RrcError('RRC_ERR_STORE', `migration ${m.name} failed on ${where}: ${msg}`, { cause: e });
    }
    await db.query(
      `UPDATE "${TABLE}" SET finished_at = ${p(1)}, applied_steps_count = applied_steps_count + 1 WHERE id = ${p(2)}`,
      [db.now(), id],
    );
    report.applied.push(m.name);
  }
  return report;
}

/** Applies pending migrations to a SQLite database opened with better-sqlite3. */
export async function migrateSqlite(
  db: BetterSqlite3.Database,
  opts: { dir?: string; where?: string } = {},
): Promise<MigrationReport> {
  const migrations = readMigrations(opts.dir ?? MIGRATIONS_DIR.sqlite, 'sqlite');
  const adapter: MigrationDb = {
    provider: 'sqlite',
    query: async (sql, params = []) => {
      const stmt = db.prepare(sql);
      if (stmt.reader) return stmt.all(...params) as Record<string, unknown>[];
      stmt.run(...params);
      return [];
    },
    exec: async (script) => {
      db.exec(script);
    },
    param: () => '?',
    now: () => Date.now(), // Prisma keeps these as integer milliseconds on SQLite
    userTables: async () =>
      (
        db
          .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ?`)
          .all(TABLE) as { name: string }[]
      ).map((r) => r.name),
  };
  return run(adapter, migrations, opts.where ?? `SQLite database ${db.name}`);
}

/**
 * Applies pending migrations to PostgreSQL through one pg client, in `schema` (created if
 * missing), under Prisma's advisory lock so that concurrent controllers migrate one at a time.
 */
export async function migratePostgres(
  client: pg.ClientBase,
  opts: { dir?: string; schema?: string; where?: string } = {},
): Promise<MigrationReport> {
  const migrations = readMigrations(opts.dir ?? MIGRATIONS_DIR.postgresql, 'postgresql');
  const schema = opts.schema ?? 'public';
  const quoted = `"${schema.replace(/"/g, '""')}"`;
  const adapter: MigrationDb = {
    provider: 'postgresql',
    query: async (sql, params) => (await client.query(sql, params as unknown[] | undefined)).rows,
    exec: async (script) => {
      await client.query(script); // no parameters: simple-query protocol, multi-statement
    },
    param: (i) => `$${i}`,
    now: () => new Date(),
    userTables: async () =>
      (
        await client.query<{ name: string }>(
          `SELECT table_name AS name FROM information_schema.tables
           WHERE table_schema = current_schema() AND table_name <> $1 ORDER BY table_name`,
          [TABLE],
        )
      ).rows.map((r) => r.name),
  };
  await client.query(`SELECT pg_advisory_lock(${PRISMA_ADVISORY_LOCK_KEY})`);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(`SET search_path TO ${quoted}`);
    return await run(adapter, migrations, opts.where ?? `PostgreSQL schema ${schema}`);
  } finally {
    await client.query(`SELECT pg_advisory_unlock(${PRISMA_ADVISORY_LOCK_KEY})`).catch(() => undefined);
  }
}
