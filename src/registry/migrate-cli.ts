/**
 * `npm run db:migrate`: applies prisma/migrations to the PostgreSQL database in DATABASE_URL
 * (CI and operators; the gateway also migrates at start-up).
 */
import pino from 'pino';
import { migratePostgres } from './migrate.js';

const logger = pino({ name: 'db:migrate' });
const url = process.env.DATABASE_URL;
if (!url) {
  logger.error('DATABASE_URL is not set');
  process.exit(2);
}
try {
  const started = Date.now();
  const result = await migratePostgres(url, { logger });
  logger.info(
    { applied: result.applied, total: result.total, ms: Date.now() - started },
    result.applied.length ? 'migrations applied' : 'database already up to date',
  );
} catch (err) {
  logger.error({ err }, 'migration failed');
  process.exitCode = 1;
}
