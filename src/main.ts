/**
 * Composition root: reads the environment once, builds the adapters, wires them, serves.
 * Nothing else in the code base reads process.env.
 */
import { ConfigError, parseConfig } from './config.js';
import { createLogger } from './logger.js';
import { startGateway } from './gateway.js';
import { initTracing } from './tracing.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // Human-readable logs on a terminal in development, JSON lines everywhere else.
  const logger = createLogger({
    level: config.LOG_LEVEL,
    pretty: config.LOG_PRETTY ?? (!config.production && process.stdout.isTTY === true),
  });
  const tracing = config.OTEL_ENABLED
    ? initTracing({
        serviceName: config.OTEL_SERVICE_NAME,
        ...(config.OTEL_EXPORTER_OTLP_ENDPOINT
          ? { endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT }
          : {}),
      })
    : null;
  const gateway = await startGateway(config, logger);
  const lines = [
    '',
    `  BiFrost gateway listening on ${gateway.url}`,
    `    GraphQL   ${gateway.url}/graphql   (GraphiQL: ${gateway.url}/graphiql)`,
    `    REST      ${gateway.url}/{module}/{path}`,
    `    Admin     ${gateway.url}/admin/status`,
    `    Database  ${gateway.database.kind === 'pglite' ? `embedded PGlite in ${config.DATA_DIR}` : 'PostgreSQL'}`,
  ];
  if (gateway.devCredentials) {
    lines.push(
      '',
      '  !!! DEVELOPMENT MODE: no JWT key configured, using a random secret for this run only. !!!',
      '  !!! Set JWT_SECRET, JWT_PUBLIC_KEY or JWKS_URL (NODE_ENV=production requires one).   !!!',
      '',
      `  Admin token: ${gateway.devCredentials.adminToken}`,
      `  User token:  ${gateway.devCredentials.userToken}`,
      '',
      `  Try: curl -H "Authorization: Bearer <admin token>" ${gateway.url}/admin/status`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await gateway.close();
    await tracing?.shutdown().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(
    `BiFrost failed to start: ${err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});
