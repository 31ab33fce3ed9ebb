import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer, HeaderMap, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import type {
  GatewayInterface,
  GatewayExecutor,
  GatewaySchemaLoadOrUpdateCallback,
} from '@apollo/server-gateway-interface';
import { execute, GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { isBifrostError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { GatewayRuntime } from '../runtime/runtime.js';
import type { Snapshot } from '../runtime/snapshot.js';
import type { Principal } from './auth.js';
import type { GatewayMetrics } from './metrics.js';
import { DEFAULT_LIMITS, LIMIT_CODES, limitRules, type GraphQLLimits } from './graphql-limits.js';

/** The context every resolver receives. DataLoaders are created per request, lazily. */
export interface GatewayContext extends BaseContext {
  requestId: string;
  principal: Principal;
  /** Headers sent to modules on every call made for this request. */
  forwardHeaders: Record<string, string>;
  /** The snapshot this request runs on. */
  snapshot: Snapshot;
  /** Per-request cache (join loaders). */
  loaders: Map<string, unknown>;
  logger: Logger;
}

/** Codes Apollo itself produces, passed through unchanged. */
const APOLLO_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Adapts the runtime to Apollo Server's gateway interface: Apollo holds the current schema and
 * swaps it when the runtime publishes a new snapshot; a request keeps the schema it started with.
 */
class RuntimeGateway implements GatewayInterface {
  private callbacks = new Set<GatewaySchemaLoadOrUpdateCallback>();
  private unsubscribe: (() => void) | null = null;
  readonly bySchema = new WeakMap<GraphQLSchema, Snapshot>();

  constructor(private readonly runtime: GatewayRuntime) {}

  async load(): Promise<{ executor: GatewayExecutor }> {
    const publish = (s: Snapshot) => {
      this.bySchema.set(s.schema, s);
      for (const cb of this.callbacks) cb({ apiSchema: s.schema, coreSupergraphSdl: s.sdl });
    };
    this.unsubscribe = this.runtime.onSwap(publish);
    const first = this.runtime.snapshot();
    if (!first) throw new Error('the gateway has no schema yet');
    publish(first);
    const executor: GatewayExecutor = async (rc) => {
      const context = rc.context as GatewayContext;
      // Join resolvers read the snapshot the request was validated against.
      const snapshot = this.bySchema.get(rc.schema);
      if (snapshot) context.snapshot = snapshot;
      return (await execute({
        schema: rc.schema,
        document: rc.document,
        rootValue: {},
        contextValue: context,
        variableValues: rc.request.variables ?? {},
        operationName: rc.operationName ?? undefined,
      })) as Awaited<ReturnType<GatewayExecutor>>;
    };
    return { executor };
  }

  onSchemaLoadOrUpdate(callback: GatewaySchemaLoadOrUpdateCallback): () => void {
    this.callbacks.add(callback);
    return () => this.callbacks.delete(callback);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
  }
}

/** Shapes every GraphQL error: table codes kept, upstream errors described, the rest masked. */
export function formatGraphQLError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (error instanceof GraphQLError && error.originalError instanceof GraphQLError) {
      const code = error.originalError.extensions?.['code'];
      if (typeof code === 'string' && LIMIT_CODES.has(code)) {
        return {
          message: formatted.message,
          ...(formatted.locations ? { locations: formatted.locations } : {}),
          extensions: { code },
        };
      }
    }
    const base = {
      message: formatted.message,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
    };
    if (isBifrostError(original)) {
      const cause = original.cause as { code?: string; message?: string } | undefined;
      return {
        ...base,
        message: original.message,
        extensions: {
          code: original.code,
          ...(original.details !== undefined ? { details: original.details } : {}),
          ...(isBifrostError(cause) ? { cause: { code: cause.code, message: cause.message } } : {}),
        },
      };
    }
    const code = formatted.extensions?.['code'];
    if (typeof code === 'string' && APOLLO_CODES.has(code))
      return { ...base, extensions: { code } };
    if (original instanceof GraphQLError || formatted.extensions?.['http']) {
      const ext =
        (original instanceof GraphQLError ? original.extensions : formatted.extensions) ?? {};
      if (ext['code'] === 'DOWNSTREAM_SERVICE_ERROR') {
        // A logic module answered outside 2xx; report its status and body, never its internal URL.
        const response = ext['response'] as { status?: number; body?: unknown } | undefined;
        return {
          ...base,
          message: `Module '${String(ext['serviceName'] ?? 'unknown')}' answered with HTTP ${response?.status ?? 'error'}`,
          extensions: {
            code: 'UPSTREAM_ERROR',
            module: ext['serviceName'] ?? null,
            status: response?.status ?? null,
            response: response?.body ?? null,
          },
        };
      }
      const http = ext['http'] as { status?: number } | undefined;
      if (http?.status !== undefined || ext['responseJson'] !== undefined) {
        // An answer of a logic module other than 2xx, reported by the OpenAPI handler.
        return {
          ...base,
          message: `The logic module answered with HTTP ${http?.status ?? 'error'}`,
          extensions: {
            code: 'UPSTREAM_ERROR',
            status: http?.status ?? null,
            response: ext['responseJson'] ?? ext['responseText'] ?? null,
          },
        };
      }
      if (typeof ext['code'] === 'string' && !ext['code'].startsWith('INTERNAL'))
        return { ...base, extensions: { code: ext['code'] } };
      if (original instanceof GraphQLError && !original.originalError) {
        // A GraphQL-level error raised by graphql-js or the handler (e.g. variable coercion).
        return { ...base, extensions: { code: 'BAD_USER_INPUT' } };
      }
    }
    logger.error(
      {
        err:
          original instanceof Error
            ? { message: original.message, stack: original.stack }
            : String(original),
        path: formatted.path,
      },
      'unexpected GraphQL error',
    );
    return { ...base, message: 'Unexpected error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/** Counts operations by name, type and outcome, and times them. */
function operationMetricsPlugin(metrics: GatewayMetrics): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse(rc) {
          const operation = rc.operationName ?? (rc.operation ? 'anonymous' : 'invalid');
          const body = rc.response.body;
          const result = body.kind === 'single' ? body.singleResult : null;
          const hasErrors = (result?.errors?.length ?? 0) > 0 || (rc.errors?.length ?? 0) > 0;
          const hasData = result?.data != null;
          const outcome = !hasErrors ? 'success' : hasData ? 'partial' : 'error';
          metrics.graphqlOperations.inc({
            operation,
            type: rc.operation?.operation ?? 'unknown',
            outcome,
          });
          metrics.graphqlDuration.observe({ operation }, (performance.now() - started) / 1000);
        },
      };
    },
  };
}

export interface GraphQLHandler {
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    search: string,
    context: GatewayContext,
  ): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createGraphQLHandler(
  runtime: GatewayRuntime,
  logger: Logger,
  limits: GraphQLLimits = DEFAULT_LIMITS,
  metrics?: GatewayMetrics,
): GraphQLHandler {
  const gateway = new RuntimeGateway(runtime);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    // Requests authenticate with a bearer header, never cookies, so CSRF cannot apply; keeping
    // Apollo's check on would refuse plain GET queries from curl and legacy clients.
    csrfPrevention: false,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT (drain, then close broker and database); Apollo's own handler
    // would stop it a second time and re-raise the signal into ours, and the process never exits.
    stopOnTerminationSignals: false,
    introspection: true,
    validationRules: limitRules(limits),
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // Cache-control wraps every field resolver to collect hints no module gives; reporting needs Apollo's cloud.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ...(metrics ? [operationMetricsPlugin(metrics)] : []),
    ],
    formatError: formatGraphQLError(logger),
    logger: {
      debug: (m) => logger.debug(String(m)),
      info: (m) => logger.info(String(m)),
      warn: (m) => logger.warn(String(m)),
      error: (m) => logger.error(String(m)),
    },
  });
  return {
    start: () => apollo.start(),
    stop: () => apollo.stop(),
    async handle(req, res, body, search, context) {
      const headers = new HeaderMap();
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      }
      const result = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search, body },
        context: async () => context,
      });
      const outHeaders: Record<string, string> = { 'x-request-id': context.requestId };
      for (const [k, v] of result.headers) outHeaders[k] = v;
      if (result.body.kind === 'complete') {
        outHeaders['content-length'] = String(Buffer.byteLength(result.body.string));
        res.writeHead(result.status ?? 200, outHeaders);
        res.end(result.body.string);
      } else {
        res.writeHead(result.status ?? 200, outHeaders);
        for await (const chunk of result.body.asyncIterator) res.write(chunk);
        res.end();
      }
    },
  };
}
