/**
 * `npm run bench`: BiFrost against its baselines and peers, in one run, on loopback only.
 *
 * Every server runs in a child process of its own (gateway, example modules, Hive Gateway, spec
 * server) and the load comes from another child (autocannon, or the naive client's loop), so the
 * measured process never generates its own load. Each scenario reports ratios to a baseline
 * measured in the same run, plus the absolute figures, written to `bench-results/latest.json` and
 * `bench-results/latest.md`.
 *
 * Environment:
 * - BENCH_DURATION       seconds per measurement (default 8); BENCH_WARMUP seconds before each (2)
 * - BENCH_CONNECTIONS    concurrent connections of the load generator (default 20)
 * - BENCH_SCENARIOS      comma list of rest, join, schema, swap (default: all)
 * - BENCH_SWAP_DURATION  seconds of the hot-swap runs (default 30); BENCH_SWAP_RATE requests/s (50)
 * - BENCH_SCHEMA_SIZES   module counts of the schema-build scenario (default 1,10,50,100)
 * - BENCH_GATEWAY_NODE_ARGS  node flags of the BiFrost process (default `--max-semi-space-size=64`,
 *                        see README: a larger young generation halves GC time under load)
 * - BENCH_PEER_NODE_ARGS node flags of Hive Gateway (default: the same as BiFrost's, for fairness)
 * - BENCH_PROFILE=1      CPU-profile the BiFrost gateway process (`bench-results/profiles/`), then
 *                        summarize with `tsx test/bench/profile-top.ts <file>`
 * - BENCH_OUTPUT         output file prefix (default bench-results/latest)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { EXAMPLE_JOINS } from '../../examples/joins.js';
import {
  benchUserToken,
  createStore,
  startBifrost,
  type BenchStore,
  type BifrostProcess,
} from './lib/bifrost.js';
import { startHive } from './lib/hive.js';
import { processCpuMs } from './lib/cpu.js';
import { ask, forkTs, ROOT, sleep, stopAll, waitForMessage } from './lib/procs.js';
import { renderMarkdown, type BenchResults, type Row } from './lib/report.js';
import type { LoadSummary } from './procs/load.js';

const env = process.env;
const num = (name: string, def: number) => (env[name] ? Number(env[name]) : def);
const settings = {
  durationSec: num('BENCH_DURATION', 8),
  warmupSec: num('BENCH_WARMUP', 2),
  connections: num('BENCH_CONNECTIONS', 20),
  swapDurationSec: num('BENCH_SWAP_DURATION', 30),
  swapRate: num('BENCH_SWAP_RATE', 50),
  swaps: num('BENCH_SWAPS', 10),
  schemaSizes: (env['BENCH_SCHEMA_SIZES'] ?? '1,10,50,100').split(',').map(Number),
  scenarios: (env['BENCH_SCENARIOS'] ?? 'rest,join,schema,swap').split(',').map((s) => s.trim()),
  profile: env['BENCH_PROFILE'] === '1',
  gatewayNodeArgs: (env['BENCH_GATEWAY_NODE_ARGS'] ?? '--max-semi-space-size=64')
    .split(' ')
    .filter(Boolean),
  peerNodeArgs: (
    env['BENCH_PEER_NODE_ARGS'] ??
    env['BENCH_GATEWAY_NODE_ARGS'] ??
    '--max-semi-space-size=64'
  )
    .split(' ')
    .filter(Boolean),
  output: env['BENCH_OUTPUT'] ?? 'bench-results/latest',
};
const want = (s: string) => settings.scenarios.includes(s);

const JOIN_QUERY_BIFROST =
  '{ orders_listOrders(limit: 100) { id total customerId productId customer { id name email } product { id name price } } }';
const JOIN_QUERY_HIVE =
  '{ listOrders(limit: 100) { id total customerId productId customer { id name email } product { id name price } } }';

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

interface ModulesInfo {
  [name: string]: { url: string; endpoint: string };
}
type CallCounts = Record<string, { total: number; paths: Record<string, number> }>;

let load!: ChildProcess;

/** Runs an autocannon job (warm-up first, not recorded) and the server's CPU time during it. */
async function measure(
  label: string,
  job: Record<string, unknown>,
  serverPid: number | null,
  options: { type?: 'autocannon' | 'naive'; warmup?: boolean; durationSec?: number } = {},
): Promise<LoadSummary & { cpuMsPerRequest: number | null; label: string }> {
  const type = options.type ?? 'autocannon';
  const durationSec = options.durationSec ?? settings.durationSec;
  if (options.warmup !== false && settings.warmupSec > 0) {
    await ask(load, { type, job: { ...job, durationSec: settings.warmupSec } });
  }
  const cpuBefore = serverPid ? await processCpuMs(serverPid) : null;
  const r = await ask<LoadSummary>(load, { type, job: { ...job, durationSec } });
  const cpuAfter = serverPid ? await processCpuMs(serverPid) : null;
  const cpuMsPerRequest =
    cpuBefore !== null && cpuAfter !== null && r.requests > 0
      ? (cpuAfter - cpuBefore) / r.requests
      : null;
  log(
    `${label}: ${round(r.rps)} req/s, p50 ${round(r.latencyMs.p50, 2)} ms, p99 ${round(r.latencyMs.p99, 2)} ms, failures ${r.failures}` +
      (cpuMsPerRequest !== null ? `, server CPU ${round(cpuMsPerRequest, 3)} ms/req` : ''),
  );
  return { ...r, cpuMsPerRequest, label };
}

async function probe(
  label: string,
  job: Record<string, unknown>,
  seconds = 3,
): Promise<LoadSummary> {
  await ask(load, { type: 'probe', job: { ...job, durationSec: 1 } });
  const r = await ask<LoadSummary>(load, { type: 'probe', job: { ...job, durationSec: seconds } });
  log(
    `${label} (1 connection): p50 ${round(r.latencyMs.p50, 3)} ms, p99 ${round(r.latencyMs.p99, 3)} ms`,
  );
  return r;
}

function gqlJob(url: string, query: string, token?: string) {
  return {
    url: `${url}/graphql`,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query }),
    connections: settings.connections,
    checkGraphQLErrors: true,
  };
}

/** Sends `n` queries one after the other, checks every answer, returns upstream calls per query. */
async function callsPerQuery(
  modulesProc: ChildProcess,
  url: string,
  query: string,
  token: string | undefined,
  rootField: string,
  n = 5,
): Promise<{
  perRequest: number;
  byModule: Record<string, number>;
  paths: Record<string, number>;
}> {
  await ask(modulesProc, { type: 'calls' });
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query }),
    });
    const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown };
    const orders = body.data?.[rootField] as
      | Array<{
          customer: { id: number } | null;
          product: { id: number } | null;
          customerId: number;
          productId: number;
        }>
      | undefined;
    if (res.status !== 200 || body.errors || !orders || orders.length !== 100)
      throw new Error(
        `bad answer from ${url}: ${res.status} ${JSON.stringify(body).slice(0, 500)}`,
      );
    for (const o of orders) {
      if (o.customer?.id !== o.customerId || o.product?.id !== o.productId)
        throw new Error(`wrong join in answer from ${url}: ${JSON.stringify(o)}`);
    }
  }
  const counts = await ask<CallCounts>(modulesProc, { type: 'calls' });
  const byModule: Record<string, number> = {};
  const paths: Record<string, number> = {};
  let total = 0;
  for (const [m, c] of Object.entries(counts)) {
    if (c.total === 0) continue;
    byModule[m] = c.total / n;
    for (const [p, k] of Object.entries(c.paths)) paths[`${m}: ${p}`] = k / n;
    total += c.total;
  }
  return { perRequest: total / n, byModule, paths };
}

// ---------------------------------------------------------------------------------------------

async function scenarioRest(
  gw: BifrostProcess,
  modules: ModulesInfo,
  rows: Row[],
  out: BenchResults,
) {
  log('scenario 1: REST pass-through vs calling the module directly');
  const token = benchUserToken();
  const headers = { authorization: `Bearer ${token}` };
  const directUrl = `${modules['customers']!.url}/api/customers/1`;
  const gatewayUrl = `${gw.url}/customers/customers/1`;
  const check = await fetch(gatewayUrl, { headers });
  if (check.status !== 200)
    throw new Error(`pass-through answered ${check.status}: ${await check.text()}`);
  await check.arrayBuffer();
  const direct = await measure(
    'direct GET /api/customers/1',
    { url: directUrl, headers, connections: settings.connections },
    null,
  );
  const viaGateway = await measure(
    'gateway GET /customers/customers/1',
    { url: gatewayUrl, headers, connections: settings.connections },
    gw.pid,
  );
  const directProbe = await probe('direct', { url: directUrl, headers });
  const gatewayProbe = await probe('gateway', { url: gatewayUrl, headers });
  const ratio = viaGateway.rps / direct.rps;
  // The same module with a service time (BENCH_MODULE_LATENCY_MS, default 5 ms), as a module that
  // reads a database would have: the no-op module above measures the CPU bound of one machine
  // shared by load generator, gateway and module; this one measures what a client would notice.
  const slowDirectUrl = `${modules['customers-slow']!.url}/api/customers/1`;
  const slowGatewayUrl = `${gw.url}/customers-slow/customers/1`;
  const slowDirect = await measure(
    'direct GET /api/customers/1 (module with service time)',
    { url: slowDirectUrl, headers, connections: settings.connections },
    null,
  );
  const slowGateway = await measure(
    'gateway GET /customers-slow/customers/1 (module with service time)',
    { url: slowGatewayUrl, headers, connections: settings.connections },
    gw.pid,
  );
  const slowRatio = slowGateway.rps / slowDirect.rps;
  const latency = Number(process.env['BENCH_MODULE_LATENCY_MS'] ?? 5);
  out.scenarios['rest'] = {
    direct,
    gateway: viaGateway,
    slowModuleLatencyMs: latency,
    directSlowModule: slowDirect,
    gatewaySlowModule: slowGateway,
    directUnloaded: directProbe,
    gatewayUnloaded: gatewayProbe,
  };
  rows.push(
    {
      scenario: '1. REST pass-through',
      measure: `requests/s (${settings.connections} connections)`,
      bifrost: round(viaGateway.rps, 0),
      baseline: round(direct.rps, 0),
      baselineName: 'module called directly',
      ratio: round(ratio, 2),
      target: '≥ 0.8x',
      met: ratio >= 0.8,
    },
    {
      scenario: `1. REST pass-through, module with ${latency} ms service time`,
      measure: `requests/s (${settings.connections} connections)`,
      bifrost: round(slowGateway.rps, 0),
      baseline: round(slowDirect.rps, 0),
      baselineName: 'module called directly',
      ratio: round(slowRatio, 2),
      target: '≥ 0.8x',
      met: slowRatio >= 0.8,
    },
    {
      scenario: `1. REST pass-through, module with ${latency} ms service time`,
      measure: 'p50 / p99 (ms)',
      bifrost: `${round(slowGateway.latencyMs.p50, 2)} / ${round(slowGateway.latencyMs.p99, 2)}`,
      baseline: `${round(slowDirect.latencyMs.p50, 2)} / ${round(slowDirect.latencyMs.p99, 2)}`,
      baselineName: 'direct p50 / p99',
      ratio: null,
      target: '',
      met: null,
    },
    {
      scenario: '1. REST pass-through',
      measure: 'added latency under load, p50 / p99 (ms)',
      bifrost: `${round(viaGateway.latencyMs.p50 - direct.latencyMs.p50, 2)} / ${round(viaGateway.latencyMs.p99 - direct.latencyMs.p99, 2)}`,
      baseline: `${round(direct.latencyMs.p50, 2)} / ${round(direct.latencyMs.p99, 2)}`,
      baselineName: 'direct p50 / p99',
      ratio: null,
      target: '',
      met: null,
    },
    {
      scenario: '1. REST pass-through',
      measure: 'added latency, 1 connection, p50 / p99 (ms)',
      bifrost: `${round(gatewayProbe.latencyMs.p50 - directProbe.latencyMs.p50, 3)} / ${round(gatewayProbe.latencyMs.p99 - directProbe.latencyMs.p99, 3)}`,
      baseline: `${round(directProbe.latencyMs.p50, 3)} / ${round(directProbe.latencyMs.p99, 3)}`,
      baselineName: 'direct p50 / p99',
      ratio: null,
      target: '',
      met: null,
    },
    {
      scenario: '1. REST pass-through',
      measure: 'gateway CPU per request (ms)',
      bifrost: viaGateway.cpuMsPerRequest === null ? 'n/a' : round(viaGateway.cpuMsPerRequest, 3),
      baseline: '',
      baselineName: '',
      ratio: null,
      target: '',
      met: null,
    },
  );
}

async function scenarioJoin(
  gw: BifrostProcess,
  modules: ModulesInfo,
  modulesProc: ChildProcess,
  rows: Row[],
  out: BenchResults,
) {
  log('scenario 2: 100 orders joined to their customer and product');
  const token = benchUserToken();
  const ours = await callsPerQuery(
    modulesProc,
    gw.url,
    JOIN_QUERY_BIFROST,
    token,
    'orders_listOrders',
  );
  log(`BiFrost upstream calls per query: ${ours.perRequest} ${JSON.stringify(ours.paths)}`);
  const bifrost = await measure(
    'BiFrost joined query',
    gqlJob(gw.url, JOIN_QUERY_BIFROST, token),
    gw.pid,
  );

  // (a) a naive client doing the REST calls itself, straight to the modules.
  await ask(modulesProc, { type: 'calls' });
  const naive = (await measure(
    'naive REST client (1 + 200 calls)',
    {
      ordersUrl: `${modules['orders']!.url}/v1/orders?limit=100`,
      customerUrl: `${modules['customers']!.url}/api/customers/{id}`,
      productUrl: `${modules['products']!.url}/products/{id}`,
      headers: { authorization: `Bearer ${token}` },
      connections: settings.connections,
    },
    null,
    { type: 'naive' },
  )) as LoadSummary & { callsPerSequence: number; cpuMsPerRequest: number | null; label: string };
  await ask(modulesProc, { type: 'calls' });

  // (b) Hive Gateway over the same modules, same joins (Mesh Compose + @resolveTo keysArg).
  log('composing and starting Hive Gateway');
  const hive = await startHive(modules, settings.peerNodeArgs);
  let hiveRun: Awaited<ReturnType<typeof measure>>;
  let hiveCalls: Awaited<ReturnType<typeof callsPerQuery>>;
  try {
    hiveCalls = await callsPerQuery(
      modulesProc,
      hive.url,
      JOIN_QUERY_HIVE,
      undefined,
      'listOrders',
    );
    log(
      `Hive Gateway upstream calls per query: ${hiveCalls.perRequest} ${JSON.stringify(hiveCalls.paths)}`,
    );
    hiveRun = await measure(
      'Hive Gateway joined query',
      gqlJob(hive.url, JOIN_QUERY_HIVE),
      hive.pid,
    );
  } finally {
    await hive.close();
  }
  out.scenarios['join'] = {
    query: JOIN_QUERY_BIFROST,
    hiveQuery: JOIN_QUERY_HIVE,
    bifrost: { ...bifrost, upstreamCallsPerRequest: ours.perRequest, upstreamCalls: ours.paths },
    naive: { ...naive, upstreamCallsPerRequest: naive.callsPerSequence },
    hive: {
      ...hiveRun,
      upstreamCallsPerRequest: hiveCalls.perRequest,
      upstreamCalls: hiveCalls.paths,
      composeMs: hive.composeMs,
    },
  };
  const S = '2. Joined GraphQL query';
  const vsNaive = bifrost.rps / naive.rps;
  const vsHive = bifrost.rps / hiveRun.rps;
  rows.push(
    {
      scenario: S,
      measure: `requests/s (${settings.connections} connections)`,
      bifrost: round(bifrost.rps, 0),
      baseline: round(naive.rps, 0),
      baselineName: 'naive REST client (1 + 200 calls), sequences/s',
      ratio: round(vsNaive, 2),
      target: '',
      met: null,
    },
    {
      scenario: S,
      measure: `requests/s (${settings.connections} connections)`,
      bifrost: round(bifrost.rps, 0),
      baseline: round(hiveRun.rps, 0),
      baselineName: 'Hive Gateway 2.15',
      ratio: round(vsHive, 2),
      target: '≥ 2x',
      met: vsHive >= 2,
    },
    {
      scenario: S,
      measure: 'p99 latency (ms)',
      bifrost: round(bifrost.latencyMs.p99, 1),
      baseline: round(hiveRun.latencyMs.p99, 1),
      baselineName: 'Hive Gateway 2.15',
      ratio: round(bifrost.latencyMs.p99 / hiveRun.latencyMs.p99, 2),
      target: 'lower is better',
      met: null,
    },
    {
      scenario: S,
      measure: 'upstream calls per request',
      bifrost: ours.perRequest,
      baseline: `${hiveCalls.perRequest} (Hive) / ${round(naive.callsPerSequence, 0)} (naive)`,
      baselineName: 'Hive Gateway / naive client',
      ratio: null,
      target: '= 3 (1 + 2 joined fields)',
      met: ours.perRequest === 3,
    },
    {
      scenario: S,
      measure: 'server CPU per request (ms)',
      bifrost: bifrost.cpuMsPerRequest === null ? 'n/a' : round(bifrost.cpuMsPerRequest, 2),
      baseline: hiveRun.cpuMsPerRequest === null ? 'n/a' : round(hiveRun.cpuMsPerRequest, 2),
      baselineName: 'Hive Gateway 2.15',
      ratio:
        bifrost.cpuMsPerRequest !== null && hiveRun.cpuMsPerRequest !== null
          ? round(bifrost.cpuMsPerRequest / hiveRun.cpuMsPerRequest, 2)
          : null,
      target: 'lower is better',
      met: null,
    },
  );
}

async function scenarioSwap(
  gw: BifrostProcess,
  modules: ModulesInfo,
  rows: Row[],
  out: BenchResults,
) {
  log(
    `scenario 4: ${settings.swaps} schema swaps during ${settings.swapDurationSec} s at ${settings.swapRate} req/s`,
  );
  const token = benchUserToken();
  const job = { ...gqlJob(gw.url, JOIN_QUERY_BIFROST, token), overallRate: settings.swapRate };
  const quiet = await measure('constant load, no swaps', job, gw.pid, {
    durationSec: settings.swapDurationSec,
  });

  const swapEvery = (settings.swapDurationSec * 1000) / settings.swaps;
  const swaps: Array<{ action: string; status: number; ms: number; version: string | null }> = [];
  const running = measure('constant load, with swaps', job, gw.pid, {
    durationSec: settings.swapDurationSec,
    warmup: false,
  });
  const swapper = (async () => {
    await sleep(swapEvery / 2);
    for (let i = 0; i < settings.swaps; i++) {
      const started = performance.now();
      const add = i % 2 === 0;
      const r = add
        ? await gw.admin('POST', '/modules', {
            name: 'swapped',
            endpoint: modules['products']!.url,
          })
        : await gw.admin('DELETE', '/modules/swapped');
      const ms = performance.now() - started;
      const status = await gw.admin('GET', '/status');
      swaps.push({
        action: add ? 'add module' : 'remove module',
        status: r.status,
        ms,
        version: status.body?.schema?.version ?? status.body?.schemaVersion ?? null,
      });
      await sleep(Math.max(0, swapEvery - ms));
    }
  })();
  const [withSwaps] = await Promise.all([running, swapper]);
  const okSwaps = swaps.filter((s) => s.status === 201 || s.status === 204).length;
  log(
    `swaps: ${okSwaps}/${swaps.length} ok, admin call ${round(Math.min(...swaps.map((s) => s.ms)), 0)}-${round(Math.max(...swaps.map((s) => s.ms)), 0)} ms`,
  );
  out.scenarios['swap'] = {
    rate: settings.swapRate,
    durationSec: settings.swapDurationSec,
    withoutSwaps: quiet,
    withSwaps,
    swaps,
  };
  const S = '4. Hot swap under load';
  rows.push(
    {
      scenario: S,
      measure: `failed requests during ${swaps.length} swaps (${okSwaps} ok)`,
      bifrost: withSwaps.failures,
      baseline: quiet.failures,
      baselineName: 'same load, no swaps',
      ratio: null,
      target: '0',
      met: withSwaps.failures === 0 && okSwaps === swaps.length,
    },
    {
      scenario: S,
      measure: `p99 latency at ${settings.swapRate} req/s (ms)`,
      bifrost: round(withSwaps.latencyMs.p99, 1),
      baseline: round(quiet.latencyMs.p99, 1),
      baselineName: 'same load, no swaps',
      ratio: round(withSwaps.latencyMs.p99 / Math.max(quiet.latencyMs.p99, 0.001), 2),
      target: '',
      met: null,
    },
    {
      scenario: S,
      measure: 'admin add/remove call incl. rebuild, median (ms)',
      bifrost: round(median(swaps.map((s) => s.ms)), 0),
      baseline: '',
      baselineName: '',
      ratio: null,
      target: '',
      met: null,
    },
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : 0;
}

async function scenarioSchema(rows: Row[], out: BenchResults) {
  log(
    `scenario 3: schema build cost for ${settings.schemaSizes.join(', ')} modules of 20 operations`,
  );
  const specServer = forkTs('../procs/spec-server.ts');
  const { url } = await waitForMessage(specServer, (m) =>
    m?.type === 'ready' ? (m as { url: string }) : undefined,
  );
  const results: any[] = [];
  try {
    for (const n of settings.schemaSizes) {
      const store = await createStore();
      try {
        // The gateway's own node flags (as `npm start` and the image run it).
        const execArgv = ['--expose-gc', ...settings.gatewayNodeArgs];
        if (settings.profile)
          execArgv.push('--cpu-prof', `--cpu-prof-dir=${join(ROOT, 'bench-results/profiles')}`);
        const child = forkTs('../procs/schema-build.ts', [String(n)], {
          env: { SPEC_URL: url, ...store.env },
          execArgv,
        });
        const r = await waitForMessage(
          child,
          (m) => (m?.type === 'result' ? m.result : undefined),
          600_000,
        );
        await new Promise((res) => (child.exitCode !== null ? res(null) : child.once('exit', res)));
        if (r.inSchema !== n || !r.addedInSchema)
          log(
            `WARNING: only ${r.inSchema}/${n} modules in the schema: ${JSON.stringify(r.notInSchema)}`,
          );
        log(
          `${n} modules: full ${round(r.fullMs, 0)} ms (final compose ${round(r.fullRebuildMs, 0)} ms), no-change rebuild ${round(r.rebuildMs, 0)} ms, add one ${round(r.addMs, 0)} ms, RSS ${round(r.rssAfterMb, 0)} MB`,
        );
        results.push(r);
      } finally {
        await store.drop();
      }
    }
  } finally {
    specServer.kill('SIGTERM');
  }
  out.scenarios['schema'] = { operationsPerModule: 20, store: 'see settings', sizes: results };
  const one = results.find((r) => r.modules === 1) ?? results[0];
  const S = '3. Schema build';
  for (const r of results) {
    rows.push({
      scenario: S,
      measure: `full build, ${r.modules} module${r.modules === 1 ? '' : 's'} (ms)${r.inSchema === r.modules ? '' : `, only ${r.inSchema} in the schema`}`,
      bifrost: round(r.fullMs, 0),
      baseline: round(one.fullMs, 0),
      baselineName: '1-module build',
      ratio: round(r.fullMs / one.fullMs, 1),
      target: r.modules === 100 ? '< 3000 ms' : '',
      met:
        r.modules === 100
          ? r.fullMs < 3000 && r.inSchema === r.modules
          : r.inSchema === r.modules
            ? null
            : false,
    });
  }
  const largest = results[results.length - 1];
  rows.push({
    scenario: S,
    measure: `add one module to ${largest.modules} (ms)`,
    bifrost: round(largest.addMs, 0),
    baseline: round(one.addMs, 0),
    baselineName: 'add one to 1',
    ratio: round(largest.addMs / one.addMs, 1),
    target: largest.modules === 100 ? '< 300 ms' : '',
    met: largest.modules === 100 ? largest.addMs < 300 : null,
  });
  rows.push({
    scenario: S,
    measure: `rebuild with nothing changed, ${largest.modules} modules (ms)`,
    bifrost: round(largest.rebuildMs, 0),
    baseline: round(one.rebuildMs, 0),
    baselineName: '1 module',
    ratio: round(largest.rebuildMs / one.rebuildMs, 1),
    target: '',
    met: null,
  });
  for (const r of results) {
    rows.push({
      scenario: S,
      measure: `RSS after build, ${r.modules} module${r.modules === 1 ? '' : 's'} (MB)`,
      bifrost: round(r.rssAfterMb, 0),
      baseline: round(one.rssAfterMb, 0),
      baselineName: '1-module build',
      ratio: round(r.rssAfterMb / one.rssAfterMb, 2),
      target: r === largest ? 'roughly linear' : '',
      met: null,
    });
  }
  if (results.length >= 2) {
    const perModule =
      (largest.rssAfterMb - one.rssAfterMb) / Math.max(1, largest.modules - one.modules);
    rows.push({
      scenario: S,
      measure: 'RSS per added module (MB)',
      bifrost: round(perModule, 2),
      baseline: '',
      baselineName: '',
      ratio: null,
      target: '',
      met: null,
    });
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const rows: Row[] = [];
  const out: BenchResults = {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      memoryGb: round(totalmem() / 2 ** 30, 0),
      node: process.version,
      platform: process.platform,
    },
    settings: { ...settings },
    rows,
    scenarios: {},
    totalSec: 0,
  };
  load = forkTs('../procs/load.ts');
  await waitForMessage(load, (m) => (m?.type === 'ready' ? true : undefined));

  let store: BenchStore | null = null;
  let gw: BifrostProcess | null = null;
  try {
    if (want('rest') || want('join') || want('swap')) {
      const modulesProc = forkTs('../procs/modules.ts');
      const { modules } = await waitForMessage(modulesProc, (m) =>
        m?.type === 'ready' ? (m as { modules: ModulesInfo }) : undefined,
      );
      store = await createStore();
      out.settings['store'] = store.kind;
      const profileDir = join(ROOT, 'bench-results/profiles');
      if (settings.profile) await mkdir(profileDir, { recursive: true });
      gw = await startBifrost({
        store,
        nodeArgs: settings.gatewayNodeArgs,
        ...(settings.profile ? { cpuProfDir: profileDir } : {}),
      });
      log(`BiFrost gateway on ${gw.url} (pid ${gw.pid}, registry: ${store.kind})`);
      for (const [name, m] of Object.entries(modules)) {
        const r = await gw.admin('POST', '/modules', { name, endpoint: m.url });
        if (r.status !== 201)
          throw new Error(`registering ${name}: ${r.status} ${JSON.stringify(r.body)}`);
      }
      for (const j of EXAMPLE_JOINS) {
        const r = await gw.admin('POST', '/joins', j);
        if (r.status !== 201)
          throw new Error(`creating join ${j.name}: ${r.status} ${JSON.stringify(r.body)}`);
      }
      if (want('rest')) await scenarioRest(gw, modules, rows, out);
      if (want('join')) await scenarioJoin(gw, modules, modulesProc, rows, out);
      if (want('swap')) await scenarioSwap(gw, modules, rows, out);
      await gw.close();
      gw = null;
      modulesProc.kill('SIGTERM');
    }
    if (want('schema')) await scenarioSchema(rows, out);
  } finally {
    if (gw) await gw.close();
    await stopAll();
    if (store) await store.drop().catch(() => {});
  }
  out.totalSec = round((Date.now() - started) / 1000, 0);
  const md = renderMarkdown(out);
  const base = join(ROOT, settings.output);
  await mkdir(dirname(base), { recursive: true });
  await writeFile(`${base}.json`, `${JSON.stringify(out, null, 2)}\n`);
  await writeFile(`${base}.md`, md);
  process.stdout.write(`\n${md}\n`);
  log(`written ${settings.output}.json and ${settings.output}.md in ${out.totalSec} s`);
}

main().then(
  () => process.exit(0),
  async (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    await stopAll().catch(() => {});
    process.exit(1);
  },
);
