// Prisma 7 config for the SQLite schema. Used by `npm run generate` and, on a machine that has
// Prisma's schema engine, by `prisma migrate deploy --config prisma/prisma.config.ts`.
// Paths are relative to this file.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'schema.prisma',
  migrations: { path: 'migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'file:./3rc.db' },
});
