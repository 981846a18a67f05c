#!/usr/bin/env node
// Generates both Prisma clients (SQLite and PostgreSQL) offline.
// Prisma's CLI wants its native schema engine even for `generate` and would try to download it;
// pointing PRISMA_SCHEMA_ENGINE_BINARY at a stub that exits 1 is enough (see PERSISTENCE.md).
import { chmodSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stub = join(root, 'prisma', 'offline-schema-engine.sh');
const cli = join(root, 'node_modules', 'prisma', 'build', 'index.js');
const configs = ['prisma/prisma.config.ts', 'prisma/postgres/prisma.config.ts'];

if (!existsSync(cli)) {
  console.error('prisma-generate: node_modules/prisma is missing: run `npm install` first');
  process.exit(1);
}
chmodSync(stub, 0o755); // a checkout may have lost the executable bit

const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? stub,
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1', // no telemetry call home
};
for (const config of configs) {
  const r = spawnSync(process.execPath, [cli, 'generate', '--config', config], { cwd: root, env, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`prisma-generate: \`prisma generate --config ${config}\` failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}
