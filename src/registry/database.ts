/**
 * Opens the registry database: PostgreSQL when a URL is given, otherwise an embedded PGlite
 * persisted in a folder (works on a laptop with nothing installed). Pending migrations are
 * applied before the Prisma client is handed out.
 */
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { Logger } from '../core/logger.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { applyMigrations, migratePostgres, pgliteSession } from './migrate.js';

export interface OpenDatabaseOptions {
  /** PostgreSQL connection string; when absent, PGlite in `dataDir` is used. */
  databaseUrl?: string | undefined;
  /** Folder of the embedded PGlite database (created when missing); unused with `databaseUrl`. */
  dataDir: string;
  logger: Logger;
  /** Apply pending migrations before returning, default true. */
  migrate?: boolean;
  /** Override of the migrations folder (tests). */
  migrationsDir?: string;
}

export interface Database {
  prisma: PrismaClient;
  kind: 'postgres' | 'pglite';
  /** Disconnects Prisma and, for PGlite, closes the embedded database so the process can exit. */
  close(): Promise<void>;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const { logger } = options;
  const migrate = options.migrate ?? true;
  const migrateOptions = {
    logger,
    ...(options.migrationsDir ? { migrationsDir: options.migrationsDir } : {}),
  };
  const started = Date.now();

  if (options.databaseUrl) {
    if (migrate) await migratePostgres(options.databaseUrl, migrateOptions);
    const prisma = new PrismaClient({
      adapter: new PrismaPg({ connectionString: options.databaseUrl }),
    });
    logger.info({ kind: 'postgres', ms: Date.now() - started }, 'registry database ready');
    return { prisma, kind: 'postgres', close: () => prisma.$disconnect() };
  }

  await mkdir(options.dataDir, { recursive: true });
  const pglite = await PGlite.create({ dataDir: options.dataDir });
  let prisma: PrismaClient;
  try {
    if (migrate) await applyMigrations(pgliteSession(pglite), migrateOptions);
    prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  } catch (err) {
    await pglite.close();
    throw err;
  }
  logger.info(
    { kind: 'pglite', dataDir: options.dataDir, ms: Date.now() - started },
    'registry database ready',
  );
  let closed = false;
  return {
    prisma,
    kind: 'pglite',
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
