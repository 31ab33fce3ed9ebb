import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { BifrostError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { mergeOpenApi } from '../discovery/merge-openapi.js';
import type { GatewayRuntime } from '../runtime/runtime.js';
import type { Snapshot } from '../runtime/snapshot.js';
import { createAdminRouter, type AdminRoute } from './admin-api.js';
import type { Authenticator, Principal } from './auth.js';
import { createGraphiQLHandler } from './graphiql.js';
import { createGraphQLHandler, type GatewayContext } from './graphql-handler.js';
import { readBody, sendError, sendJson, toClientError } from './http-utils.js';
import { createRestProxy } from './rest-proxy.js';
import { context, propagation, SpanKind, tracer } from '../upstream/trace.js';
import type { GatewayMetrics } from './metrics.js';
import type { RateLimiter } from './rate-limiter.js';
import type { GraphQLLimits } from './graphql-limits.js';
import type { UpstreamClient } from '../upstream/upstream-client.js';

/** Options of the gateway's HTTP front door. */
export interface GatewayServerOptions {
  runtime: GatewayRuntime;
  upstream: UpstreamClient;
  auth: Authenticator;
  logger: Logger;
  adminRoutes: AdminRoute[];
  /** Largest GraphQL/admin body accepted, bytes (default 1 MiB). */
  bodyLimitBytes?: number;
  forwardAuthorization: boolean;
  allowUnlistedPaths: boolean;
  /** Query prefilled in GraphiQL. */
  graphiqlDefaultQuery?: string;
  /** Token prefilled in GraphiQL (development mode only). */
  graphiqlToken?: string;
  /** Extra readiness checks (e.g. broker state); all must be true. */
  readinessChecks?: Array<() => { name: string; ok: boolean; detail?: string }>;
  /** Lets the data mesh post-process REST pass-through reads (`?join`). */
  restJoin?: RestJoinHook;
  /** Prometheus metrics; `/metrics` is served when given. */
  metrics?: GatewayMetrics;
  /** Per-subject rate limiter (429 with Retry-After). */
  rateLimiter?: RateLimiter;
  /** Depth, alias and cost limits of GraphQL documents. */
  graphqlLimits?: GraphQLLimits;
  /** Largest REST pass-through body (bytes). */
  restBodyLimitBytes?: number;
  /** Largest module answer relayed by REST pass-through (bytes). */
  upstreamMaxResponseBytes?: number;
}

/** Hook used by the data mesh to embed joined objects into REST answers. */
export type RestJoinHook = (args: {
  req: IncomingMessage;
  res: ServerResponse;
  moduleName: string;
  rest: string;
  search: string;
  context: GatewayContext;
}) => Promise<boolean>;

export interface GatewayServer {
  server: http.Server;
  listen(port: number, host: string): Promise<number>;
  /** Readiness turns false, new connections are refused, in-flight requests finish (bounded). */
  close(drainMs?: number): Promise<void>;
  readonly ready: boolean;
}

export function createGatewayServer(options: GatewayServerOptions): GatewayServer {
  const { runtime, auth, logger } = options;
  const bodyLimit = options.bodyLimitBytes ?? 1024 * 1024;
  const graphql = createGraphQLHandler(runtime, logger, options.graphqlLimits, options.metrics);
  const { metrics, rateLimiter } = options;
  const proxy = createRestProxy({
    upstream: options.upstream,
    logger,
    forwardAuthorization: options.forwardAuthorization,
    allowUnlisted: options.allowUnlistedPaths,
    ...(options.restBodyLimitBytes ? { maxBodyBytes: options.restBodyLimitBytes } : {}),
    ...(options.upstreamMaxResponseBytes
      ? { maxResponseBytes: options.upstreamMaxResponseBytes }
      : {}),
  });
  const adminRouter = createAdminRouter(options.adminRoutes);
  const graphiql = createGraphiQLHandler({
    graphqlPath: '/graphql',
    defaultQuery:
      options.graphiqlDefaultQuery ?? '{ _gateway { version modules { name status } } }',
    ...(options.graphiqlToken ? { defaultToken: options.graphiqlToken } : {}),
  });
  let graphqlStarted: Promise<void> | null = null;
  let draining = false;
  let openApiCache: { version: string; doc: unknown } | null = null;

  const isReady = () => !draining && runtime.snapshot() !== null;

  function ensureGraphQL(): Promise<void> {
    if (!graphqlStarted) {
      graphqlStarted = graphql.start().catch((err) => {
        graphqlStarted = null;
        throw err;
      });
    }
    return graphqlStarted;
  }
  runtime.onSwap(
    () =>
      void ensureGraphQL().catch((err) =>
        logger.error({ err: String(err) }, 'GraphQL start failed'),
      ),
  );
  if (runtime.snapshot()) void ensureGraphQL().catch(() => {});

  function forwardHeadersFor(req: IncomingMessage, requestId: string): Record<string, string> {
    const h: Record<string, string> = { 'x-request-id': requestId };
    if (options.forwardAuthorization && req.headers.authorization)
      h['authorization'] = req.headers.authorization;
    return h;
  }

  /** The per-request context of GraphQL and REST `?join` (loaders are created lazily, per request). */
  function contextFor(
    req: IncomingMessage,
    requestId: string,
    principal: Principal,
    snapshot: Snapshot,
  ): GatewayContext {
    return {
      requestId,
      principal,
      forwardHeaders: forwardHeadersFor(req, requestId),
      snapshot,
      loaders: new Map(),
      logger: logger.child({ requestId }),
    };
  }

  async function handleGraphQL(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    requestId: string,
    principal: Principal,
  ) {
    const snapshot = runtime.snapshot();
    if (!snapshot) throw new BifrostError('SCHEMA_NOT_READY');
    await ensureGraphQL();
    let body: unknown;
    if (req.method === 'POST') {
      const buf = await readBody(req, bodyLimit);
      const ct = String(req.headers['content-type'] ?? '');
      if (buf.length > 0) {
        if (!/json|graphql/i.test(ct)) {
          throw new BifrostError(
            'UNSUPPORTED_MEDIA_TYPE',
            `POST /graphql needs content-type application/json, got '${ct || 'none'}'`,
          );
        }
        try {
          body =
            /graphql/i.test(ct) && !/json/i.test(ct)
              ? { query: buf.toString('utf8') }
              : JSON.parse(buf.toString('utf8'));
        } catch (err) {
          return sendJson(res, 400, {
            errors: [
              {
                message: `Body is not valid JSON: ${(err as Error).message}`,
                extensions: { code: 'BAD_REQUEST' },
              },
            ],
          });
        }
      }
      if (/graphql/i.test(ct) && !/json/i.test(ct))
        req.headers['content-type'] = 'application/json';
    }
    const context = contextFor(req, requestId, principal, snapshot);
    await graphql.handle(req, res, body, url.search.slice(1), context);
  }

  async function handleAdmin(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    principal: Principal,
  ) {
    auth.requireAdmin(principal);
    const path = url.pathname.slice('/admin'.length) || '/';
    const match = adminRouter((req.method ?? 'GET').toUpperCase(), path);
    if (match === null)
      throw new BifrostError('NOT_FOUND', `No admin route ${req.method} ${url.pathname}`);
    if (match === 'method')
      throw new BifrostError(
        'METHOD_NOT_ALLOWED',
        `${req.method} is not allowed on ${url.pathname}`,
      );
    let bodyPromise: Promise<unknown> | null = null;
    await match.route.handler({
      req,
      res,
      params: match.params,
      query: url.searchParams,
      principal,
      body: () => {
        if (!bodyPromise) {
          bodyPromise = (async () => {
            const buf = await readBody(req, bodyLimit);
            if (buf.length === 0) return undefined;
            try {
              return JSON.parse(buf.toString('utf8'));
            } catch (err) {
              throw new BifrostError(
                'BAD_REQUEST',
                `Body is not valid JSON: ${(err as Error).message}`,
              );
            }
          })();
        }
        return bodyPromise;
      },
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const incomingId = req.headers['x-request-id'];
    const requestId =
      typeof incomingId === 'string' && /^[\w.:-]{1,128}$/.test(incomingId)
        ? incomingId
        : randomUUID();
    let url: URL;
    try {
      // Concatenate rather than resolve: a request path starting with `//` must not become a host.
      const raw = req.url ?? '/';
      url = new URL(`http://gateway${raw.startsWith('/') ? '' : '/'}${raw}`);
    } catch {
      return sendError(res, new BifrostError('BAD_REQUEST', 'Malformed request URL'), {
        'x-request-id': requestId,
      });
    }
    const path = url.pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    res.setHeader('x-request-id', requestId);
    res.on('finish', () => {
      const ms = performance.now() - started;
      if (metrics) {
        const route = routeKind(path);
        metrics.httpRequests.inc({ route, method, status: res.statusCode });
        metrics.httpDuration.observe({ route }, ms / 1000);
      }
      logger.info(
        { requestId, method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 },
        'request',
      );
    });
    try {
      // Unauthenticated routes: probes and the static GraphiQL page (its queries still need a token).
      if (path === '/health/live') return sendJson(res, 200, { status: 'live' });
      if (path === '/health/ready' || path === '/health') {
        const checks = [
          { name: 'schema', ok: runtime.snapshot() !== null },
          { name: 'draining', ok: !draining },
          ...(options.readinessChecks ?? []).map((c) => c()),
        ];
        const ok = checks.every((c) => c.ok);
        return sendJson(res, ok ? 200 : 503, {
          status: ok ? 'ready' : 'not ready',
          checks,
          version: runtime.snapshot()?.version ?? null,
        });
      }
      if (path === '/metrics' && metrics) {
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
        return;
      }
      if (path.startsWith('/graphiql/assets/') && method === 'GET') {
        if (graphiql.serveAsset(req, res, path.slice('/graphiql/assets/'.length))) return;
        throw new BifrostError('NOT_FOUND', `No asset ${path}`);
      }
      const wantsHtml = method === 'GET' && /text\/html/.test(String(req.headers.accept ?? ''));
      if ((path === '/graphiql' || path === '/graphiql/') && method === 'GET')
        return graphiql.servePage(req, res);
      if (path === '/graphql' && wantsHtml && !url.searchParams.has('query'))
        return graphiql.servePage(req, res);
      if (path === '/' && method === 'GET') {
        return sendJson(res, 200, {
          name: 'BiFrost',
          graphql: '/graphql',
          graphiql: '/graphiql',
          openapi: '/docs/openapi.json',
          health: ['/health/live', '/health/ready'],
        });
      }

      let principal: Principal;
      try {
        principal = await auth.authenticate(req.headers.authorization);
      } catch (err) {
        const e = toClientError(err).error;
        if (path === '/graphql') {
          return sendJson(
            res,
            e.status,
            { errors: [{ message: e.message, extensions: { code: e.code } }] },
            {
              'www-authenticate': 'Bearer',
              'x-request-id': requestId,
            },
          );
        }
        return sendError(res, e, { 'www-authenticate': 'Bearer', 'x-request-id': requestId });
      }

      if (rateLimiter) {
        const wait = rateLimiter.take(principal.subject || 'anonymous');
        if (wait > 0) {
          metrics?.rateLimited.inc();
          const e = new BifrostError(
            'RATE_LIMITED',
            `Rate limit exceeded for this subject; retry in ${wait} s`,
          );
          const h = { 'retry-after': String(wait), 'x-request-id': requestId };
          if (path === '/graphql')
            return sendJson(
              res,
              429,
              { errors: [{ message: e.message, extensions: { code: e.code } }] },
              h,
            );
          return sendError(res, e, h);
        }
      }
      if (path === '/graphql') {
        if (method !== 'GET' && method !== 'POST')
          throw new BifrostError('METHOD_NOT_ALLOWED', `${method} is not allowed on /graphql`);
        return await handleGraphQL(req, res, url, requestId, principal);
      }
      if (path === '/admin' || path.startsWith('/admin/'))
        return await handleAdmin(req, res, url, principal);
      if (path === '/docs/openapi.json' || path === '/docs' || path === '/docs/') {
        const s = runtime.snapshot();
        if (!s) throw new BifrostError('SCHEMA_NOT_READY');
        if (openApiCache?.version !== s.version) {
          const modules = [...s.modules.values()]
            .filter((v) => v.record.enabled && v.record.spec != null)
            .map((v) => ({
              name: v.record.name,
              document: v.record.spec as Record<string, unknown>,
            }));
          openApiCache = { version: s.version, doc: mergeOpenApi(modules, {}) };
        }
        return sendJson(res, 200, openApiCache.doc, { 'x-request-id': requestId });
      }

      const m = /^\/([^/]+)(\/.*)?$/.exec(path);
      if (!m) throw new BifrostError('NOT_FOUND', `No route ${method} ${path}`);
      const snapshot = runtime.snapshot();
      if (!snapshot) throw new BifrostError('SCHEMA_NOT_READY');
      let moduleName: string;
      try {
        moduleName = decodeURIComponent(m[1]!);
      } catch {
        throw new BifrostError('MODULE_NOT_FOUND', `No logic module named '${m[1]}'`);
      }
      const rest = m[2] ?? '/';
      if (options.restJoin && url.searchParams.has('join') && method === 'GET') {
        const context = contextFor(req, requestId, principal, snapshot);
        if (await options.restJoin({ req, res, moduleName, rest, search: url.search, context }))
          return;
      }
      return await proxy(req, res, snapshot, moduleName, rest, url.search, requestId);
    } catch (err) {
      const { error, unexpected } = toClientError(err);
      if (unexpected)
        logger.error(
          {
            requestId,
            err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err),
          },
          'unexpected error',
        );
      return sendError(res, error, { 'x-request-id': requestId });
    }
  }

  /** One server span per request, continuing the caller's W3C trace context (no-op without tracing). */
  function traced(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parent = propagation.extract(context.active(), req.headers);
    return tracer.startActiveSpan(
      `${req.method ?? 'GET'} ${routeKind((req.url ?? '/').split('?')[0] ?? '/')}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method ?? 'GET',
          'url.path': (req.url ?? '/').split('?')[0] ?? '/',
        },
      },
      parent,
      async (span) => {
        try {
          await handle(req, res);
        } finally {
          span.setAttribute('http.response.status_code', res.statusCode);
          if (res.statusCode >= 500) span.setStatus({ code: 2 });
          span.end();
        }
      },
    );
  }

  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    traced(req, res).catch((err) => {
      logger.error({ err: String(err) }, 'request handler crashed');
      if (!res.headersSent) sendError(res, new BifrostError('INTERNAL_SERVER_ERROR'));
      else res.destroy();
    });
  });

  return {
    server,
    get ready() {
      return isReady();
    },
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const addr = server.address();
          resolve(typeof addr === 'object' && addr ? addr.port : port);
        });
      });
    },
    async close(drainMs = 10_000) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections turn idle as their last response ends: close them as they do.
      server.closeIdleConnections();
      const sweeper = setInterval(() => server.closeIdleConnections(), 50);
      const timer = setTimeout(() => server.closeAllConnections(), drainMs);
      timer.unref();
      await closed;
      clearInterval(sweeper);
      clearTimeout(timer);
      await graphql.stop().catch(() => {});
    },
  };
}

/** Bounded route label for metrics. */
function routeKind(path: string): string {
  if (path === '/graphql') return 'graphql';
  if (path.startsWith('/graphiql')) return 'graphiql';
  if (path.startsWith('/admin')) return 'admin';
  if (path.startsWith('/health')) return 'health';
  if (path === '/metrics') return 'metrics';
  if (path.startsWith('/docs')) return 'docs';
  if (path === '/') return 'root';
  return 'rest';
}
