/**
 * Child process (one per size, so each RSS figure starts from a fresh heap): the gateway's own
 * runtime (registry, spec fetch, per-module subgraph build and cache, composition, join extender)
 * building the schema of N generated modules served by the spec server.
 *
 * - full: N modules registered (not yet discovered), then `runtime.start()`: fetch every spec,
 *   build every subgraph, one composition. What a gateway does at start-up with N new modules.
 * - rebuild: one more rebuild with nothing changed (every subgraph cached): the fixed cost of a swap.
 * - add: `runtime.addModule()` of module N+1 (fetch, build one subgraph, compose N+1), what
 *   `POST /admin/modules` does.
 * - RSS after a forced GC, before and after the full build.
 */
import { silentLogger } from '../../../src/core/logger.js';
import { dataMeshPlugins } from '../../../src/data-mesh.js';
import { openDatabase } from '../../../src/registry/database.js';
import { PrismaRegistry } from '../../../src/registry/prisma-registry.js';
import { GatewayRuntime } from '../../../src/runtime/runtime.js';
import { UpstreamClient } from '../../../src/upstream/upstream-client.js';

const count = Number(process.argv[2]);
const specUrl = process.env['SPEC_URL']!;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const rss = () => {
  gc();
  gc();
  return process.memoryUsage().rss;
};

const database = await openDatabase({
  databaseUrl: process.env['DATABASE_URL'] || undefined,
  dataDir: process.env['DATA_DIR'] || '.data/bench',
  logger: silentLogger,
} as Parameters<typeof openDatabase>[0]);
const registry = new PrismaRegistry(database.prisma);
const upstream = new UpstreamClient({ timeoutMs: 10_000 });
const extender = dataMeshPlugins(
  { JOIN_MAX_BATCH: 100, JOIN_CONCURRENCY: 10 },
  silentLogger,
).extender;
const runtime = new GatewayRuntime({
  registry,
  upstream,
  logger: silentLogger,
  specFetchTimeoutMs: 30_000,
  retryBaseMs: 0,
  ...(extender ? { extender } : {}),
});
// Warm-up outside the measurement: loads the OpenAPI loader's code and JIT-compiles the build
// path once, so the 1-module figure is a build, not a cold start.
{
  const { buildSubgraph } = await import('../../../src/mesh/subgraph.js');
  const { generateSpec } = await import('../lib/gen-spec.js');
  await buildSubgraph({
    moduleName: 'warmup',
    document: generateSpec(999_999) as never,
    endpoint: 'http://127.0.0.1:9',
    timeoutMs: 1000,
    fetch: () => Promise.reject(new Error('not called')),
  });
}
const name = (i: number) => `m${String(i).padStart(3, '0')}`;
for (let i = 0; i < count; i++) {
  await registry.upsertModule({
    name: name(i),
    endpoint: `${specUrl}/m${i}`,
    docsPath: '/docs',
    specSource: null,
    origin: 'admin',
    enabled: true,
  });
}
const rssBefore = rss();

let t = performance.now();
await runtime.start();
const fullMs = performance.now() - t;
const fullRebuildMs = runtime.lastRebuild?.ms ?? null;
const snapshot = runtime.snapshot()!;
const inSchema = [...snapshot.modules.values()].filter((v) => v.inSchema).length;
const rssAfter = rss();
// Modules left out of the schema, by status and first error (e.g. a spec fetch that failed).
const notInSchema: Record<string, { count: number; example: string | null }> = {};
for (const v of snapshot.modules.values()) {
  if (v.inSchema) continue;
  const k = v.record.status;
  notInSchema[k] ??= { count: 0, example: v.record.lastError };
  notInSchema[k].count++;
}

t = performance.now();
await runtime.requestRebuild('bench: nothing changed');
const rebuildMs = performance.now() - t;

t = performance.now();
const added = await runtime.addModule({
  name: name(count),
  endpoint: `${specUrl}/m${count}`,
  docsPath: '/docs',
  origin: 'admin',
  enabled: true,
});
const addMs = performance.now() - t;
const addRebuildMs = runtime.lastRebuild?.ms ?? null;
const after = runtime.snapshot()!;

process.send!({
  type: 'result',
  result: {
    modules: count,
    inSchema,
    notInSchema,
    addedStatus: added.status,
    addedInSchema: after.modules.get(name(count))?.inSchema ?? false,
    queryFields: Object.keys(after.schema.getQueryType()?.getFields() ?? {}).length,
    fullMs,
    fullRebuildMs,
    rebuildMs,
    addMs,
    addRebuildMs,
    rssBeforeMb: rssBefore / 2 ** 20,
    rssAfterMb: rssAfter / 2 ** 20,
    rssGrowthMb: (rssAfter - rssBefore) / 2 ** 20,
    heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
  },
});
runtime.stop();
await upstream.close();
await database.close();
process.exit(0);
