/**
 * A fresh, already migrated database per chaos run, cheaply: SQLite runs copy a migrated template
 * file; PostgreSQL runs share one migrated schema, emptied before each run. Migrating per run
 * would cost more than the run itself.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { openStore } from '../../../src/store/index.js';

export interface RunDatabases {
  /** The URL of an empty, migrated database for the next run. */
  fresh(run: number): Promise<string>;
  dispose(): Promise<void>;
}

export async function sqliteRunDatabases(dir: string): Promise<RunDatabases> {
  const template = join(dir, 'template.db');
  await (await openStore(`file:${template}`)).close();
  return {
    async fresh(run) {
      const file = join(dir, `run-${run}.db`);
      copyFileSync(template, file);
      return `file:${file}`;
    },
    dispose: async () => undefined,
  };
}

export async function postgresRunDatabases(baseUrl: string, schema: string): Promise<RunDatabases> {
  const url = `${baseUrl}?schema=${schema}`;
  await (await openStore(url)).close();
  const pg = new Client({ connectionString: baseUrl });
  await pg.connect();
  const tables = (
    await pg.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name <> '_prisma_migrations' ORDER BY table_name`,
      [schema],
    )
  ).rows.map((r) => `"${schema}"."${r.table_name}"`);
  return {
    async fresh() {
      await pg.query(`TRUNCATE ${tables.join(', ')} CASCADE`);
      return url;
    },
    async dispose() {
      await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pg.end();
    },
  };
}
