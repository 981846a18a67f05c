#!/usr/bin/env node
// Authors migration SQL offline: prints the SQL that takes a database from an old schema (default:
// empty) to the current prisma/schema.prisma or prisma/postgres/schema.prisma.
//
//   node prisma/migration-diff.mjs sqlite|postgres [--from old.prisma] [--pg-url URL] > migration.sql
//   (old schema of the last commit: git show HEAD:prisma/schema.prisma > /tmp/old.prisma)
//
// How: Prisma 7's `migrate diff` needs the native schema engine, which cannot be downloaded here.
// prisma@6.19.3 bundles a wasm schema engine that it uses when its config names a driver adapter,
// so this runs `npx prisma@6.19.3 migrate diff` from a temp dir (package.json stays untouched) with
// such a config, the project's own 7.x adapters, and stub engine paths so that nothing is fetched.
// The PostgreSQL adapter connects to a live server (default: local database "test"); nothing is
// written to it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flavour = args[0];
const opt = (name) => {
  const i = args.indexOf(name);
  return i > 0 ? args[i + 1] : undefined;
};
if (flavour !== 'sqlite' && flavour !== 'postgres') {
  console.error('usage: node prisma/migration-diff.mjs sqlite|postgres [--from old.prisma] [--pg-url URL]');
  process.exit(2);
}
const pgUrl = opt('--pg-url') ?? 'postgresql://postgres@127.0.0.1:5432/test';
const current = join(root, 'prisma', flavour === 'sqlite' ? 'schema.prisma' : 'postgres/schema.prisma');
const from = opt('--from');

const dir = mkdtempSync(join(tmpdir(), 'rrc-migration-diff-'));
try {
  // 6.19 does not know Prisma 7's generator options and wants a url in the datasource block.
  const url = flavour === 'sqlite' ? 'file:./unused.db' : pgUrl;
  const for619 = (file) =>
    readFileSync(file, 'utf8')
      .replace(/^generator\s+\w+\s*\{[\s\S]*?^\}\n?/m, '')
      .replace(/(provider\s*=\s*"(?:sqlite|postgresql)")/, `$1\n  url = ${JSON.stringify(url)}`);
  writeFileSync(join(dir, 'to.prisma'), for619(current));
  if (from) writeFileSync(join(dir, 'from.prisma'), for619(resolve(from)));
  writeFileSync(join(dir, 'stub-engine.node'), '');

  const adapters = join(root, 'node_modules', '@prisma');
  const adapter =
    flavour === 'sqlite'
      ? `import { PrismaBetterSqlite3 as A } from ${JSON.stringify(join(adapters, 'adapter-better-sqlite3/dist/index.mjs'))};\n` +
        `const make = () => new A({ url: ':memory:' });\n`
      : `import { PrismaPg as A } from ${JSON.stringify(join(adapters, 'adapter-pg/dist/index.mjs'))};\n` +
        `const make = () => new A({ connectionString: ${JSON.stringify(pgUrl)} });\n`;
  writeFileSync(
    join(dir, 'prisma.config.ts'),
    `${adapter}export default { experimental: { adapter: true }, engine: 'js', schema: 'to.prisma', adapter: async () => make() };\n`,
  );

  const r = spawnSync(
    'npx',
    ['-y', 'prisma@6.19.3', 'migrate', 'diff', '--config', 'prisma.config.ts',
      ...(from ? ['--from-schema-datamodel', 'from.prisma'] : ['--from-empty']),
      '--to-schema-datamodel', 'to.prisma', '--script'],
    {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: join(root, 'prisma', 'offline-schema-engine.sh'),
        PRISMA_QUERY_ENGINE_LIBRARY: join(dir, 'stub-engine.node'),
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        CHECKPOINT_DISABLE: '1',
      },
    },
  );
  if (r.status !== 0) {
    process.stderr.write(r.stderr ?? '');
    console.error(`migration-diff: prisma migrate diff failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
  // The adapter reports its connection's schema; migrations must stay schema-agnostic (the runner
  // sets search_path), so drop the CREATE SCHEMA of "public" it adds.
  process.stdout.write(r.stdout.replace(/^-- CreateSchema\nCREATE SCHEMA IF NOT EXISTS "public";\n\n/m, ''));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
