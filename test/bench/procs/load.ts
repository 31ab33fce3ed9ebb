/**
 * Child process: the load generator. The measured servers never run in this process.
 * IPC jobs:
 * - `autocannon`: autocannon against one URL (optionally at a fixed overall rate), counting non-2xx,
 *   socket errors, timeouts and GraphQL bodies carrying `errors`.
 * - `naive`: a client that fetches 100 orders, then each order's customer and product with one REST
 *   call per record (1 + 200 calls), as fast as it can on `connections` virtual users.
 * - `probe`: one connection, one request at a time, latencies timed with a microsecond clock.
 */
import autocannon from 'autocannon';
import { Agent, request } from 'undici';

export interface LoadSummary {
  durationSec: number;
  requests: number;
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  bodyErrors: number;
  failures: number;
}

interface AutocannonJob {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  durationSec: number;
  overallRate?: number;
  checkGraphQLErrors?: boolean;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function latencyOf(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? 0,
    mean,
  };
}

async function runAutocannon(job: AutocannonJob): Promise<LoadSummary> {
  let bodyErrors = 0;
  const method = (job.method ?? 'GET') as autocannon.Request['method'];
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.durationSec,
    pipelining: 1,
    timeout: 10,
    ...(job.overallRate ? { overallRate: job.overallRate } : {}),
    requests: [
      {
        method,
        ...(job.headers ? { headers: job.headers } : {}),
        ...(job.body !== undefined ? { body: job.body } : {}),
        ...(job.checkGraphQLErrors
          ? {
              onResponse: (_status: number, body: string) => {
                if (body.includes('"errors"')) bodyErrors++;
              },
            }
          : {}),
      },
    ],
  } as autocannon.Options);
  const total = result.requests.total;
  const durationSec = result.duration;
  return {
    durationSec,
    requests: total,
    rps: total / durationSec,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.average,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    bodyErrors,
    failures: result.non2xx + result.errors + result.timeouts + bodyErrors,
  };
}

interface NaiveJob {
  ordersUrl: string;
  customerUrl: string; // with {id}
  productUrl: string; // with {id}
  headers: Record<string, string>;
  connections: number;
  durationSec: number;
}

async function runNaive(job: NaiveJob): Promise<LoadSummary & { callsPerSequence: number }> {
  const agent = new Agent({
    connections: job.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const samples: number[] = [];
  let failures = 0;
  let calls = 0;
  const get = async (url: string): Promise<unknown> => {
    calls++;
    const res = await request(url, { headers: job.headers, dispatcher: agent });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}`);
    return JSON.parse(text);
  };
  const started = performance.now();
  const deadline = started + job.durationSec * 1000;
  const user = async () => {
    while (performance.now() < deadline) {
      const t = performance.now();
      try {
        const orders = (await get(job.ordersUrl)) as Array<{
          customerId: number;
          productId: number;
        }>;
        const joined = await Promise.all(
          orders.map(async (o) => ({
            ...o,
            customer: await get(job.customerUrl.replace('{id}', String(o.customerId))),
            product: await get(job.productUrl.replace('{id}', String(o.productId))),
          })),
        );
        if (joined.length !== orders.length) throw new Error('lost orders');
        samples.push(performance.now() - t);
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: job.connections }, user));
  const durationSec = (performance.now() - started) / 1000;
  await agent.close();
  const sequences = samples.length;
  return {
    durationSec,
    requests: sequences,
    rps: sequences / durationSec,
    latencyMs: latencyOf(samples),
    non2xx: 0,
    errors: failures,
    timeouts: 0,
    bodyErrors: 0,
    failures,
    callsPerSequence: sequences + failures > 0 ? calls / (sequences + failures) : 0,
  };
}

interface ProbeJob {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  durationSec: number;
}

/** Unloaded latency: one keep-alive connection, one request at a time. */
async function runProbe(job: ProbeJob): Promise<LoadSummary> {
  const agent = new Agent({ connections: 1, pipelining: 1 });
  const samples: number[] = [];
  let failures = 0;
  const started = performance.now();
  const deadline = started + job.durationSec * 1000;
  while (performance.now() < deadline) {
    const t = performance.now();
    try {
      const res = await request(job.url, {
        method: (job.method ?? 'GET') as 'GET',
        headers: job.headers ?? {},
        body: job.body ?? null,
        dispatcher: agent,
      });
      await res.body.arrayBuffer();
      if (res.statusCode < 200 || res.statusCode >= 300) failures++;
      samples.push(performance.now() - t);
    } catch {
      failures++;
    }
  }
  const durationSec = (performance.now() - started) / 1000;
  await agent.close();
  return {
    durationSec,
    requests: samples.length,
    rps: samples.length / durationSec,
    latencyMs: latencyOf(samples),
    non2xx: 0,
    errors: failures,
    timeouts: 0,
    bodyErrors: 0,
    failures,
  };
}

process.on('message', (msg: { id: number; type: string; job: any }) => {
  const run =
    msg.type === 'autocannon'
      ? runAutocannon(msg.job)
      : msg.type === 'naive'
        ? runNaive(msg.job)
        : msg.type === 'probe'
          ? runProbe(msg.job)
          : Promise.reject(new Error(`unknown job ${msg.type}`));
  run.then(
    (result) => process.send!({ id: msg.id, result }),
    (err: unknown) => process.send!({ id: msg.id, error: String((err as Error)?.stack ?? err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.send!({ type: 'ready' });
