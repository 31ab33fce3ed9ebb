import type { Config } from './config.js';
import type { Logger } from './core/logger.js';
import type { ModuleRegistry } from './core/module-registry.js';
import { fetchSpec } from './discovery/spec-fetcher.js';
import { GatewayEvents } from './events/gateway-events.js';
import type { InProcessBroker } from './events/in-process-event-bus.js';
import { basePathOf } from './discovery/spec-operations.js';
import { readMeshrcSources, registryEndpoint } from './mesh/meshrc-sources.js';
import { openDatabase, type Database } from './registry/database.js';
import { PrismaRegistry } from './registry/prisma-registry.js';
import { dataMeshPlugins, seedExampleJoins } from './data-mesh.js';
import { GatewayRuntime, type RebuildReport, type SchemaExtender } from './runtime/runtime.js';
import { createEndpointGuard } from './upstream/endpoint-guard.js';
import { GatewayMetrics } from './server/metrics.js';
import { createRateLimiter } from './server/rate-limiter.js';
import { moduleAdminRoutes, type AdminRoute } from './server/admin-api.js';
import {
  createAuthenticator,
  createDevelopmentCredentials,
  type AuthOptions,
} from './server/auth.js';
import {
  createGatewayServer,
  type GatewayServer,
  type RestJoinHook,
} from './server/http-server.js';
import { UpstreamClient } from './upstream/upstream-client.js';

/** Query shown first in GraphiQL: a joined query across the example modules. */
export const DEFAULT_GRAPHIQL_QUERY = `# BiFrost: one GraphQL API over every logic module.
# Root fields are <module>_<operation>; types are <Module>_<Type>.
# customer, product and documents are joins (data mesh): each costs one batched call.
{
  orders_listOrders(limit: 5) {
    id
    total
    status
    customer {
      id
      name
      email
      documents {
        id
        title
      }
    }
    product {
      name
      price
    }
  }
}
`;

/** Pieces a later layer (data mesh, events, tests) can plug in. */
export interface GatewayPlugins {
  extender?: SchemaExtender;
  adminRoutes?: (runtime: GatewayRuntime, registry: ModuleRegistry) => AdminRoute[];
  restJoin?: (
    runtime: GatewayRuntime,
    registry: ModuleRegistry,
    upstream: UpstreamClient,
  ) => RestJoinHook;
  /** Without AMQP_URL: the in-process broker shared by gateways in one process (tests); default: a private one. */
  inProcessBroker?: InProcessBroker;
}

export interface RunningGateway {
  url: string;
  port: number;
  runtime: GatewayRuntime;
  registry: ModuleRegistry;
  server: GatewayServer;
  upstream: UpstreamClient;
  database: Database;
  /** Module events and schema notices (RabbitMQ when AMQP_URL is set, else in-process). */
  events: GatewayEvents;
  /** Set in development mode when no key was configured. */
  devCredentials: { secret: string; adminToken: string; userToken: string } | null;
  close(): Promise<void>;
}

/** Authentication options from configuration (development credentials when allowed). */
function authOptionsFrom(config: Config, logger: Logger) {
  const base: AuthOptions = {
    clockToleranceSec: config.JWT_CLOCK_TOLERANCE_SEC,
    adminScope: config.ADMIN_SCOPE,
    organizationClaim: config.ORG_CLAIM,
    logger,
    ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
    ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
    ...(config.JWT_ALGORITHMS
      ? { algorithms: config.JWT_ALGORITHMS.split(',').map((s) => s.trim()) }
      : {}),
  };
  if (config.JWT_SECRET || config.JWT_PUBLIC_KEY || config.JWKS_URL) {
    return {
      options: {
        ...base,
        ...(config.JWT_SECRET ? { secret: config.JWT_SECRET } : {}),
        ...(config.JWT_PUBLIC_KEY
          ? { publicKey: config.JWT_PUBLIC_KEY.replace(/\\n/g, '\n') }
          : {}),
        ...(config.JWKS_URL ? { jwksUrl: config.JWKS_URL } : {}),
      },
      dev: null,
    };
  }
  if (config.production)
    throw new Error('production mode needs JWT_SECRET, JWT_PUBLIC_KEY or JWKS_URL');
  const dev = createDevelopmentCredentials();
  return { options: { ...base, secret: dev.secret }, dev };
}

/** Builds every adapter, wires them and starts serving (the composition root's body). */
export async function startGateway(
  config: Config,
  logger: Logger,
  plugins: GatewayPlugins = {},
): Promise<RunningGateway> {
  // The data mesh is on by default; a caller's plugins replace its pieces one by one.
  const metrics = config.METRICS_ENABLED ? new GatewayMetrics(() => moduleStatuses()) : undefined;
  const onJoinBatch = metrics
    ? (join: string, keys: number, calls: number) => {
        metrics.joinBatchSize.observe({ join }, keys);
        if (keys > calls) metrics.joinCallsSaved.inc({ join }, keys - calls);
      }
    : undefined;
  plugins = { ...dataMeshPlugins(config, logger, onJoinBatch), ...plugins };
  const { options: authOptions, dev } = authOptionsFrom(config, logger);
  const auth = createAuthenticator(authOptions);
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    logger,
  });
  const registry = new PrismaRegistry(database.prisma);
  const upstream = new UpstreamClient({
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    maxResponseBytes: config.UPSTREAM_MAX_RESPONSE_BYTES,
  });
  const events = new GatewayEvents({
    amqpUrl: config.AMQP_URL,
    prefix: config.AMQP_PREFIX,
    replicaId: config.REPLICA_ID,
    logger,
    inProcessBroker: plugins.inProcessBroker,
    prefetch: config.AMQP_PREFETCH,
    reconnectMaxMs: config.AMQP_RECONNECT_MAX_MS,
    retryDelayMs: config.AMQP_RETRY_DELAY_MS,
    requireBrokerForReadiness: config.READY_REQUIRES_BROKER,
    ...(metrics
      ? { onEventOutcome: (outcome: string) => metrics.brokerEvents.inc({ outcome }) }
      : {}),
  });
  // Module calls are logged (debug level) under the id of the request that made them; the entry
  // is not even built when debug is off.
  if (logger.isLevelEnabled?.('debug') ?? true)
    upstream.observe((c) =>
      logger.debug(
        {
          requestId: c.requestId,
          module: c.module,
          method: c.method,
          status: c.status,
          ms: Math.round(c.ms * 10) / 10,
          ...(c.error ? { error: c.error } : {}),
        },
        'module call',
      ),
    );
  if (metrics) {
    upstream.observe((c) => {
      metrics.upstreamCalls.inc({ module: c.module, status: c.status, error: c.error ?? '' });
      metrics.upstreamDuration.observe({ module: c.module }, c.ms / 1000);
    });
  }
  const runtime = new GatewayRuntime({
    endpointGuard: createEndpointGuard({
      production: config.production,
      ...(config.ENDPOINT_ALLOWLIST ? { allowlist: config.ENDPOINT_ALLOWLIST } : {}),
    }),
    ...(metrics
      ? {
          onRebuild: (r: RebuildReport) => {
            metrics.rebuilds.inc({
              outcome: r.error ? 'failed' : r.swapped ? 'swapped' : 'unchanged',
            });
            metrics.rebuildDuration.observe(r.ms / 1000);
          },
        }
      : {}),
    onRegistryChanged: events.registryChanged,
    registry,
    upstream,
    logger,
    specFetchTimeoutMs: config.SPEC_FETCH_TIMEOUT_MS,
    ...(plugins.extender ? { extender: plugins.extender } : {}),
  });
  const closers: Array<() => Promise<void>> = [];
  function moduleStatuses(): string[] {
    return [...(runtime.snapshot()?.modules.values() ?? [])].map((v) => v.record.status);
  }

  // Bundled example modules (embedded default), registered like any module: discovered at /docs.
  const exampleNames = new Set<string>();
  if (config.examples) {
    const { startExampleModules, EXAMPLE_PORTS } = await import('../examples/modules.js');
    let examples: Awaited<ReturnType<typeof startExampleModules>>;
    try {
      examples = await startExampleModules({
        host: config.EXAMPLES_HOST,
        ports: { ...EXAMPLE_PORTS },
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      // Ports 4101-4104 are taken (another gateway?): the examples work on any port.
      logger.warn(
        { err: (err as Error).message },
        'example module ports in use; starting the examples on free ports',
      );
      examples = await startExampleModules({ host: config.EXAMPLES_HOST });
    }
    closers.push(() => Promise.all(Object.values(examples).map((m) => m.close())).then(() => {}));
    for (const m of Object.values(examples)) {
      exampleNames.add(m.name);
      await registry.upsertModule({
        name: m.name,
        endpoint: m.url,
        docsPath: '/docs',
        specSource: null,
        origin: 'example',
        enabled: true,
      });
    }
  }

  // Sources declared in .meshrc.yml.
  if (config.MESHRC_PATH && config.MESHRC_PATH !== 'none') {
    const { sources, problems } = await readMeshrcSources(config.MESHRC_PATH);
    for (const p of problems) logger.warn({ file: config.MESHRC_PATH }, `.meshrc.yml: ${p}`);
    for (const s of sources) {
      if (exampleNames.has(s.name)) continue; // served by the running bundled example
      let endpoint = s.endpoint;
      try {
        const spec = await fetchSpec({
          endpoint,
          docsPath: '/docs',
          specSource: s.specSource ?? null,
          timeoutMs: config.SPEC_FETCH_TIMEOUT_MS,
        });
        endpoint = registryEndpoint(s.meshEndpoint, basePathOf(spec.document));
      } catch (err) {
        logger.warn(
          { module: s.name, err: (err as Error).message },
          '.meshrc.yml source: spec not readable yet',
        );
      }
      await registry.upsertModule({
        name: s.name,
        endpoint,
        docsPath: '/docs',
        specSource: s.specSource ?? null,
        origin: 'meshrc',
        enabled: true,
      });
    }
  }

  const startedAt = new Date();
  const server = createGatewayServer({
    runtime,
    upstream,
    auth,
    logger,
    forwardAuthorization: config.FORWARD_AUTHORIZATION,
    allowUnlistedPaths: config.REST_ALLOW_UNLISTED,
    graphiqlDefaultQuery: DEFAULT_GRAPHIQL_QUERY,
    ...(dev ? { graphiqlToken: dev.adminToken } : {}),
    adminRoutes: [
      ...moduleAdminRoutes(runtime, { startedAt, brokerState: () => events.brokerState() }),
      ...(plugins.adminRoutes?.(runtime, registry) ?? []),
    ],
    ...(plugins.restJoin ? { restJoin: plugins.restJoin(runtime, registry, upstream) } : {}),
    readinessChecks: [events.readinessCheck],
    ...(metrics ? { metrics } : {}),
    rateLimiter: createRateLimiter({ rps: config.RATE_LIMIT_RPS, burst: config.RATE_LIMIT_BURST }),
    graphqlLimits: {
      maxDepth: config.GRAPHQL_MAX_DEPTH,
      maxAliases: config.GRAPHQL_MAX_ALIASES,
      maxCost: config.GRAPHQL_MAX_COST,
      listFactor: config.GRAPHQL_LIST_FACTOR,
    },
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    restBodyLimitBytes: config.REST_BODY_LIMIT_BYTES,
    upstreamMaxResponseBytes: config.UPSTREAM_MAX_RESPONSE_BYTES,
  });
  const port = await server.listen(config.PORT, config.HOST);
  await runtime.start();
  if (config.examples) await seedExampleJoins(runtime, logger);
  await events.start(runtime, registry);
  closers.push(() => events.close());
  if (config.SPEC_REFRESH_INTERVAL_SEC > 0) {
    const t = setInterval(
      () => void runtime.refreshAll().catch(() => {}),
      config.SPEC_REFRESH_INTERVAL_SEC * 1000,
    );
    t.unref();
    closers.push(async () => clearInterval(t));
  }
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  const url = config.PUBLIC_URL ?? `http://${host}:${port}`;
  let closed = false;
  return {
    url,
    port,
    runtime,
    registry,
    server,
    upstream,
    database,
    devCredentials: dev,
    events,
    async close() {
      if (closed) return;
      closed = true;
      runtime.stop();
      await server.close(config.DRAIN_TIMEOUT_MS);
      for (const c of closers.reverse()) await c().catch(() => {});
      await upstream.close().catch(() => {});
      await database.close();
    },
  };
}
