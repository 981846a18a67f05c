#!/bin/sh
# Stand-in for Prisma's native schema engine, which cannot be downloaded here (see
# /work/shared/PERSISTENCE.md). `prisma generate` only needs the variable to point at a file;
# migrations are applied by src/store/migrate.ts instead.
echo "schema engine not available offline" >&2
exit 1
