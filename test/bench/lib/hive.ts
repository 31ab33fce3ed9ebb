/**
 * The peer: Hive Gateway serving a supergraph composed by GraphQL Mesh Compose from the same
 * example modules (`test/bench/hive/mesh.config.ts`), as a child process on a loopback port.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT, spawnProcess, stop, waitForHttp } from './procs.js';

export interface HiveProcess {
  url: string;
  pid: number;
  composeMs: number;
  close(): Promise<void>;
}

export async function startHive(
  modules: Record<string, { url: string }>,
  nodeArgs: string[] = [],
): Promise<HiveProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'bifrost-bench-hive-'));
  const supergraph = join(dir, 'supergraph.graphql');
  const env = {
    CUSTOMERS_URL: modules['customers']!.url,
    ORDERS_URL: modules['orders']!.url,
    PRODUCTS_URL: modules['products']!.url,
  };
  const started = performance.now();
  const compose = spawnProcess(
    process.execPath,
    [
      join(ROOT, 'node_modules/@graphql-mesh/compose-cli/esm/bin.js'),
      '-c',
      'test/bench/hive/mesh.config.ts',
      '-o',
      supergraph,
    ],
    { env },
  );
  const code = await new Promise<number | null>((r) => compose.once('exit', r));
  if (code !== 0) throw new Error(`mesh-compose failed (${code}):\n${compose.output()}`);
  const composeMs = performance.now() - started;
  await readFile(supergraph, 'utf8');

  const port = await freePort();
  const child = spawnProcess(
    process.execPath,
    [
      ...nodeArgs,
      join(ROOT, 'node_modules/@graphql-hive/gateway/dist/bin.js'),
      'supergraph',
      supergraph,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--fork',
      '1',
    ],
    { env: { NODE_ENV: 'production' } },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthcheck`, { child, timeoutMs: 60_000 });
  await waitForHttp(`${url}/readiness`, { child, timeoutMs: 60_000 });
  return {
    url,
    pid: child.pid!,
    composeMs,
    async close() {
      await stop(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
