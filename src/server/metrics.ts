import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Prometheus metrics of one gateway process (`/metrics`). Label values are bounded: routes are
 * route kinds, GraphQL operations are operation names (or `anonymous`), modules are module names.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'bifrost_http_requests_total',
    help: 'Incoming HTTP requests by route kind, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'bifrost_http_request_duration_seconds',
    help: 'Incoming HTTP request latency by route kind.',
    labelNames: ['route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly graphqlOperations = new Counter({
    name: 'bifrost_graphql_operations_total',
    help: 'GraphQL operations by operation name, type and outcome (success, partial, error).',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly graphqlDuration = new Histogram({
    name: 'bifrost_graphql_operation_duration_seconds',
    help: 'GraphQL operation latency by operation name.',
    labelNames: ['operation'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly upstreamCalls = new Counter({
    name: 'bifrost_upstream_calls_total',
    help: 'Calls to logic modules by module and status (0 = no answer; error code in `error`).',
    labelNames: ['module', 'status', 'error'] as const,
    registers: [this.registry],
  });
  readonly upstreamDuration = new Histogram({
    name: 'bifrost_upstream_call_duration_seconds',
    help: 'Latency of calls to logic modules.',
    labelNames: ['module'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly joinBatchSize = new Histogram({
    name: 'bifrost_join_batch_keys',
    help: 'Distinct keys per join batch.',
    labelNames: ['join'] as const,
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });
  readonly joinCallsSaved = new Counter({
    name: 'bifrost_join_calls_saved_total',
    help: 'Upstream calls avoided by batching and de-duplication (keys requested minus calls made).',
    labelNames: ['join'] as const,
    registers: [this.registry],
  });
  readonly rebuilds = new Counter({
    name: 'bifrost_schema_rebuilds_total',
    help: 'Schema rebuilds by outcome (swapped, unchanged, failed).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly rebuildDuration = new Histogram({
    name: 'bifrost_schema_rebuild_duration_seconds',
    help: 'Schema rebuild duration.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly brokerEvents = new Counter({
    name: 'bifrost_broker_events_total',
    help: 'Module events from the broker by outcome (consumed, applied, duplicate, dead_lettered, requeued).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'bifrost_rate_limited_total',
    help: 'Requests refused with 429.',
    registers: [this.registry],
  });
  readonly modulesByStatus: Gauge<'status'>;

  constructor(moduleStatuses: () => Iterable<string>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'bifrost_process_' });
    this.modulesByStatus = new Gauge({
      name: 'bifrost_modules',
      help: 'Registered logic modules by status.',
      labelNames: ['status'] as const,
      registers: [this.registry],
      collect() {
        const counts: Record<string, number> = {
          ok: 0,
          empty: 0,
          unreachable: 0,
          invalid: 0,
          degraded: 0,
          pending: 0,
        };
        for (const s of moduleStatuses()) counts[s] = (counts[s] ?? 0) + 1;
        this.reset();
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
  }
}
