/**
 * Prisma CLI configuration (Prisma 7 reads the datasource URL here, not in schema.prisma).
 * `prisma generate` needs no database; `DATABASE_URL` only matters for CLI commands that connect
 * (`prisma migrate deploy/status` on a machine that has the native schema engine). The gateway
 * itself applies migrations with src/registry/migrate.ts.
 */
import { defineConfig } from 'prisma/config';

const url = process.env.DATABASE_URL;

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  ...(url ? { datasource: { url } } : {}),
});
