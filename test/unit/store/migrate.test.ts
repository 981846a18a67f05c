/** The migration runner on SQLite: bookkeeping as Prisma writes it, and every refusal. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS_DIR, migrateSqlite, readMigrations } from '../../../src/store/migrate.js';
import { openStore } from '../../../src/store/index.js';
import { rejectsWith } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'rrc-migrate-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function scratch(): { db: Database.Database; file: string; migrations: string } {
  const id = ++n;
  const migrations = join(dir, `migrations-${id}`);
  cpSync(MIGRATIONS_DIR.sqlite, migrations, { recursive: true });
  const file = join(dir, `db-${id}.db`);
  return { db: new Database(file), file, migrations };
}

type Row = { migration_name: string; checksum: string; finished_at: number | null; logs: string | null; applied_steps_count: number };

describe('SQLite migration runner', () => {
  test('applies the migrations once, with Prisma bookkeeping; a second run applies nothing', async () => {
    const { db, migrations } = scratch();
    try {
      const first = await migrateSqlite(db, { dir: migrations });
      const names = readMigrations(migrations, 'sqlite').map((m) => m.name);
      assert.ok(names.length >= 1);
      assert.deepEqual(first, { applied: names, alreadyApplied: [] });
      const rows = db.prepare('SELECT * FROM _prisma_migrations ORDER BY migration_name').all() as Row[];
      const sql = readFileSync(join(migrations, names[0]!, 'migration.sql'));
      assert.equal(rows[0]!.checksum, createHash('sha256').update(sql).digest('hex'));
      assert.equal(typeof rows[0]!.finished_at, 'number');
      assert.equal(rows[0]!.applied_steps_count, 1);
      assert.equal(rows[0]!.logs, null);

      const second = await migrateSqlite(db, { dir: migrations });
      assert.deepEqual(second, { applied: [], alreadyApplied: names });
      assert.equal((db.prepare('SELECT count(*) AS c FROM _prisma_migrations').get() as { c: number }).c, names.length);
    } finally {
      db.close();
    }
  });

  test('a migration edited after it was applied is refused', async () => {
    const { db, migrations, file } = scratch();
    try {
      await migrateSqlite(db, { dir: migrations });
      const name = readMigrations(migrations, 'sqlite')[0]!.name;
      appendFileSync(join(migrations, name, 'migration.sql'), '\n-- edited\n');
      await rejectsWith(migrateSqlite(db, { dir: migrations }), 'RRC_ERR_STORE', new RegExp(`migration ${name} was modified after it was applied`));
      await rejectsWith(openStore(`file:${file}`, { migrationsDir: migrations }), 'RRC_ERR_STORE', /was modified/);
    } finally {
      db.close();
    }
  });

  test('a failed migration is recorded with its log and blocks later runs', async () => {
    const { db, migrations } = scratch();
    try {
      mkdirSync(join(migrations, '29990101000000_broken'));
      writeFileSync(join(migrations, '29990101000000_broken', 'migration.sql'), 'CREATE TABLE "Later" ("id" INTEGER);\nSELEC nonsense;\n');
      await rejectsWith(migrateSqlite(db, { dir: migrations }), 'RRC_ERR_STORE', /migration 29990101000000_broken failed/);
      const row = db.prepare(`SELECT * FROM _prisma_migrations WHERE migration_name = '29990101000000_broken'`).get() as Row;
      assert.equal(row.finished_at, null);
      assert.match(row.logs ?? '', /syntax error/);
      assert.equal(row.applied_steps_count, 0);
      await rejectsWith(migrateSqlite(db, { dir: migrations }), 'RRC_ERR_STORE', /failed earlier .* not resolved/);
    } finally {
      db.close();
    }
  });

  test('a non-empty database without _prisma_migrations is refused', async () => {
    const { db, migrations } = scratch();
    try {
      db.exec('CREATE TABLE "Host" (id INTEGER)');
      await rejectsWith(migrateSqlite(db, { dir: migrations }), 'RRC_ERR_STORE', /not empty \(tables: Host\) but has no _prisma_migrations/);
    } finally {
      db.close();
    }
  });

  test('a migrations folder for another provider is refused', async () => {
    const { db, migrations } = scratch();
    try {
      writeFileSync(join(migrations, 'migration_lock.toml'), 'provider = "postgresql"\n');
      await rejectsWith(migrateSqlite(db, { dir: migrations }), 'RRC_ERR_STORE', /for provider "postgresql", the database is sqlite/);
      assert.equal(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all().length, 0);
    } finally {
      db.close();
    }
  });

  test('a migration applied by a newer version is refused', async () => {
    const { db, migrations } = scratch();
    try {
      await migrateSqlite(db, { dir: migrations });
      db.prepare(
        `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count) VALUES ('x', 'y', '29990101000000_future', 1, 2, 1)`,
      ).run();
      await rejectsWith(migrateSqlite(db, { dir: migrations }), 'RRC_ERR_STORE', /29990101000000_future.*does not know/);
    } finally {
      db.close();
    }
  });
});
