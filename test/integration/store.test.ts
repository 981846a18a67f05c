/**
 * The Store contract and the migration runner on a real PostgreSQL: 127.0.0.1:5432, user postgres
 * (trust), database "test"; override with RRC_TEST_PG_URL. Everything happens in schemas named
 * rrc_test_<random>[_<suffix>], dropped at the end. A missing server FAILS these tests: install and
 * start it with `npm run setup` (Debian packages postgresql postgresql-client).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import pg from 'pg';
import { openStore } from '../../src/store/index.js';
import { MIGRATIONS_DIR, migratePostgres, readMigrations } from '../../src/store/migrate.js';
import type { Store } from '../../src/store/types.js';
import { host, rejectsWith, storeContract } from '../unit/store/store-contract.js';

const BASE_URL = process.env.RRC_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const SCHEMA = `rrc_test_${randomBytes(4).toString('hex')}`;
const url = (schema: string) => `${BASE_URL}${BASE_URL.includes('?') ? '&' : '?'}schema=${schema}`;
const schemas = new Set<string>([SCHEMA]);
const tmp = mkdtempSync(join(tmpdir(), 'rrc-pg-'));

let admin: pg.Client | undefined;

async function connectAdmin(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: BASE_URL, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw new Error(
      `PostgreSQL is not reachable at ${BASE_URL} (${e instanceof Error ? e.message : String(e)}). ` +
        'These tests need it: run `npm run setup` (installs postgresql and starts the cluster), or start it with ' +
        '`pg_ctlcluster <version> main start` and create the database with `createdb -h 127.0.0.1 -U postgres test`; ' +
        'another server can be named with RRC_TEST_PG_URL.',
      { cause: e },
    );
  }
  return client;
}

let unreachable: Error | undefined;
before(async () => {
  try {
    admin = await connectAdmin();
  } catch (e) {
    unreachable = e as Error;
  }
});

/** Every test calls this first, so a missing server FAILS each one with the fix (never a skip). */
function needPg(): pg.Client {
  if (!admin) throw unreachable ?? new Error('PostgreSQL admin connection missing');
  return admin;
}

after(async () => {
  if (admin) {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await admin.end();
  }
  rmSync(tmp, { recursive: true, force: true });
});

// One store for the contract (one schema per run); tables are emptied before each test.
let shared: Store | undefined;
let sharedNow: () => number = Date.now;
after(async () => shared?.close());

storeContract('postgresql', {
  fresh: async (now) => {
    const admin = needPg();
    sharedNow = now;
    shared ??= await openStore(url(SCHEMA), { now: () => sharedNow() });
    const tables = (
      await admin.query<{ t: string }>(
        `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 AND table_name <> '_prisma_migrations'`,
        [SCHEMA],
      )
    ).rows.map((r) => `"${SCHEMA}"."${r.t}"`);
    await admin.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY CASCADE`);
    return shared;
  },
  release: async () => undefined,
});

describe('PostgreSQL store and migration runner', () => {
  beforeEach(() => {
    needPg();
  });
  let n = 0;
  const fresh = () => {
    const schema = `${SCHEMA}_${++n}`;
    schemas.add(schema);
    const migrations = join(tmp, `migrations-${n}`);
    cpSync(MIGRATIONS_DIR.postgresql, migrations, { recursive: true });
    return { schema, migrations };
  };
  const withClient = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = await connectAdmin();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };

  test('creates the schema, applies once with Prisma bookkeeping, a second run applies nothing, data persists', async () => {
    const { schema } = fresh();
    const names = readMigrations(MIGRATIONS_DIR.postgresql, 'postgresql').map((m) => m.name);
    const store = await openStore(url(schema));
    assert.equal(store.provider, 'postgresql');
    await store.addHost(host('h1', ['aa:00:00:00:00:01']));
    await store.close();

    const report = await withClient((c) => migratePostgres(c, { schema }));
    assert.deepEqual(report, { applied: [], alreadyApplied: names });
    const rows = (await needPg().query(`SELECT * FROM "${schema}"._prisma_migrations`)).rows;
    assert.equal(rows.length, names.length);
    assert.equal(rows[0].applied_steps_count, 1);
    assert.ok(rows[0].finished_at instanceof Date);
    assert.equal(rows[0].checksum, readMigrations(MIGRATIONS_DIR.postgresql, 'postgresql')[0]!.checksum);

    const again = await openStore(url(schema));
    assert.deepEqual((await again.listHosts()).map((h) => h.name), ['h1']);
    await again.close();
  });

  test('concurrent runners serialize on the advisory lock: one applies, the other finds it done', async () => {
    const { schema } = fresh();
    const [a, b] = await Promise.all([
      withClient((c) => migratePostgres(c, { schema })),
      withClient((c) => migratePostgres(c, { schema })),
    ]);
    const names = readMigrations(MIGRATIONS_DIR.postgresql, 'postgresql').map((m) => m.name);
    const [first, second] = [a, b].sort((x, y) => y.applied.length - x.applied.length);
    assert.deepEqual(first, { applied: names, alreadyApplied: [] });
    assert.deepEqual(second, { applied: [], alreadyApplied: names });
  });

  test('an edited migration is refused', async () => {
    const { schema, migrations } = fresh();
    await withClient((c) => migratePostgres(c, { schema, dir: migrations }));
    const name = readMigrations(migrations, 'postgresql')[0]!.name;
    appendFileSync(join(migrations, name, 'migration.sql'), '\n-- edited\n');
    await rejectsWith(withClient((c) => migratePostgres(c, { schema, dir: migrations })), 'RRC_ERR_STORE', /was modified after it was applied/);
    await rejectsWith(openStore(url(schema), { migrationsDir: migrations }), 'RRC_ERR_STORE', /was modified/);
  });

  test('a failed migration is rolled back, logged, and blocks later runs', async () => {
    const { schema, migrations } = fresh();
    mkdirSync(join(migrations, '29990101000000_broken'));
    // A dollar-quoted body with semicolons: only the simple-query protocol runs this as written.
    writeFileSync(
      join(migrations, '29990101000000_broken', 'migration.sql'),
      `CREATE FUNCTION rrc_noop() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;\nCREATE TABLE "Later" (id int);\nSELEC nonsense;\n`,
    );
    await rejectsWith(withClient((c) => migratePostgres(c, { schema, dir: migrations })), 'RRC_ERR_STORE', /29990101000000_broken failed/);
    const row = (await needPg().query(`SELECT * FROM "${schema}"._prisma_migrations WHERE migration_name = '29990101000000_broken'`)).rows[0];
    assert.equal(row.finished_at, null);
    assert.match(row.logs, /syntax error/);
    const later = await needPg().query(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'Later'`, [schema]);
    assert.equal(later.rowCount, 0, 'the failed script left a table behind');
    await rejectsWith(withClient((c) => migratePostgres(c, { schema, dir: migrations })), 'RRC_ERR_STORE', /failed earlier .* not resolved/);
  });

  test('a non-empty schema without _prisma_migrations is refused', async () => {
    const { schema } = fresh();
    await needPg().query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}"."Legacy" (id int)`);
    await rejectsWith(openStore(url(schema)), 'RRC_ERR_STORE', /not empty \(tables: Legacy\) but has no _prisma_migrations/);
  });
});
