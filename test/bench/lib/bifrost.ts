/**
 * The BiFrost gateway as a child process (`src/main.ts`, the production composition root), on a
 * loopback port, with a throwaway PostgreSQL database (or an embedded PGlite folder when
 * PostgreSQL is not reachable), no bundled examples and no `.meshrc.yml`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '../../../src/server/auth.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { freePort, spawnProcess, stop, waitForHttp } from './procs.js';

export const BENCH_SECRET = 'bench-secret-that-is-long-enough-0123456789';
export const benchAdminToken = () =>
  signToken(
    BENCH_SECRET,
    { sub: 'bench-admin', scope: 'bifrost:admin', org: 'acme' },
    { expiresInSec: 3 * 3600 },
  );
export const benchUserToken = () =>
  signToken(BENCH_SECRET, { sub: 'bench-user', org: 'acme' }, { expiresInSec: 3 * 3600 });

/** A registry store for one gateway: a PostgreSQL database, else a PGlite folder. */
export interface BenchStore {
  env: Record<string, string>;
  kind: 'postgresql' | 'pglite';
  drop(): Promise<void>;
}

export async function createStore(): Promise<BenchStore> {
  let db: TestDatabase | null = null;
  try {
    db = await createTestDatabase();
  } catch {
    db = null;
  }
  if (db) {
    const d = db;
    return { env: { DATABASE_URL: d.url }, kind: 'postgresql', drop: () => d.drop() };
  }
  const dir = await mkdtemp(join(tmpdir(), 'bifrost-bench-'));
  return {
    env: { DATA_DIR: dir },
    kind: 'pglite',
    drop: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface BifrostProcess {
  url: string;
  pid: number;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function startBifrost(options: {
  store: BenchStore;
  /** Folder for a V8 CPU profile of the gateway process (written when it exits). */
  cpuProfDir?: string;
  env?: Record<string, string>;
  /** Extra node flags of the gateway process (e.g. `--max-semi-space-size=64`, `--trace-gc`). */
  nodeArgs?: string[];
  /** Print the gateway's output (stdout and stderr) to this process's stderr. */
  echo?: boolean;
}): Promise<BifrostProcess> {
  const port = await freePort();
  const execArgv = ['--import', 'tsx', ...(options.nodeArgs ?? [])];
  if (options.cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
  const child = spawnProcess(process.execPath, [...execArgv, 'src/main.ts'], {
    env: {
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET: BENCH_SECRET,
      EXAMPLES: 'false',
      MESHRC_PATH: 'none',
      LOG_LEVEL: 'warn',
      // The benchmark is one subject sending thousands of requests per second.
      RATE_LIMIT_RPS: '0',
      AMQP_URL: '',
      ...options.store.env,
      ...options.env,
    },
    echo: options.echo ?? process.env['BENCH_GATEWAY_ECHO'] === '1',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health/ready`, { child, timeoutMs: 90_000 });
  const token = benchAdminToken();
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/admin${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // keep the text
    }
    return { status: res.status, body: parsed as any };
  };
  return {
    url,
    pid: child.pid!,
    admin,
    async close() {
      await stop(child, 15_000);
    },
  };
}
