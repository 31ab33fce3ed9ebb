/**
 * Applies the committed `prisma/migrations/<name>/migration.sql` files in order, recording each
 * in Prisma's own `_prisma_migrations` table (same columns, same sha256 checksum), so a later
 * `prisma migrate deploy` or `migrate status` sees them as applied. Needs no native engine: the
 * SQL runs over a plain connection (`pg` or PGlite).
 *
 * Safe when several gateway replicas start at once: the whole run holds the PostgreSQL advisory
 * lock Prisma's own engine uses for migrations, so replicas (and `prisma migrate deploy`) take
 * turns, and each migration runs in a transaction together with its bookkeeping row.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Logger } from '../core/logger.js';

/** The smallest connection surface migrations need; implemented for `pg` and PGlite below. */
export interface SqlSession {
  /** One statement with `$1`-style parameters. */
  query<T extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** A script of several statements (simple query protocol), no parameters. */
  exec(sql: string): Promise<void>;
}

export function pgSession(client: pg.Client | pg.PoolClient): SqlSession {
  return {
    async query<T extends Record<string, unknown>>(sql: string, params: unknown[] = []) {
      return (await client.query<T>(sql, params)).rows;
    },
    async exec(sql) {
      await client.query(sql);
    },
  };
}

export function pgliteSession(db: PGlite): SqlSession {
  return {
    async query<T extends Record<string, unknown>>(sql: string, params: unknown[] = []) {
      return (await db.query<T>(sql, params)).rows;
    },
    async exec(sql) {
      await db.exec(sql);
    },
  };
}

export interface MigrationFile {
  /** Folder name, e.g. `20261127210454_init`; Prisma's `migration_name`. */
  name: string;
  sql: string;
  /** sha256 hex of the file's bytes, as Prisma computes it. */
  checksum: string;
}

export interface MigrateOptions {
  /** Folder holding `<name>/migration.sql`; default: `prisma/migrations` of this package. */
  migrationsDir?: string;
  logger?: Logger;
  /** How long to wait for another replica's migration run, default 60 s. */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  /** Names applied by this call (empty when the database was up to date). */
  applied: string[];
  /** Migrations found on disk. */
  total: number;
}

/** Advisory lock key of Prisma's schema engine (`migrate deploy`/`dev` take the same lock). */
const PRISMA_ADVISORY_LOCK_KEY = 72707369;

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/**
 * `prisma/migrations` of this package, found by walking up from this file, so it works from
 * `src/registry` (tsx) and from `dist/src/registry` (compiled).
 */
export function defaultMigrationsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(`prisma/migrations not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** Reads the migration folders in name (timestamp) order. */
export async function readMigrations(
  migrationsDir = defaultMigrationsDir(),
): Promise<MigrationFile[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(path.join(migrationsDir, name, 'migration.sql'));
      return {
        name,
        sql: bytes.toString('utf8'),
        checksum: createHash('sha256').update(bytes).digest('hex'),
      };
    }),
  );
}

interface MigrationRow extends Record<string, unknown> {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Applies pending migrations over `session`. Idempotent; concurrent callers take turns. */
export async function applyMigrations(
  session: SqlSession,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const migrations = await readMigrations(options.migrationsDir);
  const log = options.logger;
  await acquireLock(session, options.lockTimeoutMs ?? 60_000);
  try {
    await session.exec(CREATE_MIGRATIONS_TABLE);
    const rows = await session.query<MigrationRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
    );
    const failed = rows.filter((r) => r.finished_at === null && r.rolled_back_at === null);
    if (failed.length > 0) {
      // Same rule as `prisma migrate deploy` (P3009): a human must resolve a failed migration.
      throw new Error(
        `Migration(s) ${failed.map((r) => r.migration_name).join(', ')} failed earlier; resolve with ` +
          '`prisma migrate resolve` before starting again',
      );
    }
    const applied = new Map(
      rows
        .filter((r) => r.finished_at !== null && r.rolled_back_at === null)
        .map((r) => [r.migration_name, r]),
    );
    const done: string[] = [];
    for (const migration of migrations) {
      const existing = applied.get(migration.name);
      if (existing) {
        if (existing.checksum !== migration.checksum) {
          log?.warn(
            { migration: migration.name },
            'migration file was edited after it was applied (checksum differs); not applying it again',
          );
        }
        continue;
      }
      const started = Date.now();
      await session.exec('BEGIN');
      try {
        await session.exec(migration.sql);
        await session.query(
          `INSERT INTO "_prisma_migrations"
             (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
           VALUES ($1, $2, clock_timestamp(), $3, NULL, NULL, now(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        await session.exec('COMMIT');
      } catch (err) {
        // The transaction leaves no trace, so the next start retries from a clean state.
        await session.exec('ROLLBACK').catch(() => undefined);
        throw new Error(`Migration ${migration.name} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      done.push(migration.name);
      log?.info(
        { migration: migration.name, ms: Date.now() - started },
        'applied database migration',
      );
    }
    const knownOnDisk = new Set(migrations.map((m) => m.name));
    const unknown = [...applied.keys()].filter((name) => !knownOnDisk.has(name));
    if (unknown.length > 0) {
      log?.warn(
        { migrations: unknown },
        'database has migrations this build does not know (newer replica?)',
      );
    }
    return { applied: done, total: migrations.length };
  } finally {
    await session
      .query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK_KEY])
      .catch(() => undefined);
  }
}

async function acquireLock(session: SqlSession, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await session.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1) AS locked',
      [PRISMA_ADVISORY_LOCK_KEY],
    );
    if (row?.locked) return;
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for the migration lock held by another process`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Opens one connection to `databaseUrl`, applies pending migrations, closes it. */
export async function migratePostgres(
  databaseUrl: string,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // A dropped connection surfaces as the failing query's error; without a listener pg's
  // 'error' event would crash the process instead.
  client.on('error', (err) => options.logger?.warn({ err }, 'migration connection error'));
  await client.connect();
  try {
    return await applyMigrations(pgSession(client), options);
  } finally {
    await client.end();
  }
}
