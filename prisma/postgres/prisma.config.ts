// Prisma 7 config for the PostgreSQL schema. Used by `npm run generate` and, on a machine that
// has Prisma's schema engine, by `prisma migrate deploy --config prisma/postgres/prisma.config.ts`
// (DATABASE_URL must then be a postgresql:// URL). Paths are relative to this file.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'schema.prisma',
  migrations: { path: 'migrations' },
  ...(process.env.DATABASE_URL ? { datasource: { url: process.env.DATABASE_URL } } : {}),
});
