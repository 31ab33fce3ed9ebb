import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../src/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type GatewayPlugins, type RunningGateway } from '../../src/gateway.js';
import { signToken } from '../../src/server/auth.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export const TEST_SECRET = 'test-secret-that-is-long-enough-0123456789';
export const adminToken = (claims: Record<string, unknown> = {}) =>
  signToken(TEST_SECRET, { sub: 'admin-1', scope: 'bifrost:admin', org: 'acme', ...claims });
export const userToken = (claims: Record<string, unknown> = {}) =>
  signToken(TEST_SECRET, { sub: 'user-1', org: 'acme', ...claims });

export interface TestGateway extends RunningGateway {
  db: TestDatabase;
  /** fetch against the gateway with a token (admin by default). */
  call(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  gql(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<{ status: number; body: any }>;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** A gateway on port 0 with its own PostgreSQL database, no examples, no .meshrc.yml. */
export async function startTestGateway(
  env: Record<string, string> = {},
  plugins: GatewayPlugins = {},
  db?: TestDatabase,
): Promise<TestGateway> {
  const database = db ?? (await createTestDatabase());
  const config = parseConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: TEST_SECRET,
    EXAMPLES: 'false',
    MESHRC_PATH: 'none',
    DATABASE_URL: database.url,
    LOG_LEVEL: 'silent',
    UPSTREAM_TIMEOUT_MS: '3000',
    SPEC_FETCH_TIMEOUT_MS: '2000',
    // Tests drive many requests with one subject; the limiter has its own test.
    RATE_LIMIT_RPS: '0',
    ...env,
  });
  const gw = await startGateway(config, silentLogger, plugins);
  const closeGateway = gw.close.bind(gw);
  const base = `http://127.0.0.1:${gw.port}`;
  const call: TestGateway['call'] = (path, init = {}) => {
    const { token = adminToken(), ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token !== null && !headers.has('authorization'))
      headers.set('authorization', `Bearer ${token}`);
    return fetch(base + path, { ...rest, headers });
  };
  return Object.assign(gw, {
    db: database,
    call,
    async gql(query: string, variables?: Record<string, unknown>, token?: string) {
      const res = await call('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
        ...(token ? { token } : {}),
      });
      return { status: res.status, body: await res.json() };
    },
    async admin(method: string, path: string, body?: unknown) {
      const res = await call(`/admin${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (safeJson(text) ?? text) : null };
    },
    close: async () => {
      await closeGateway();
      if (!db) await database.drop();
    },
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A real HTTP logic module on port 0 (closed by `close()`). */
export async function startModule(
  handler: (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
  ) => void | Promise<void>,
): Promise<{
  url: string;
  port: number;
  close(): Promise<void>;
  requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer }>;
}> {
  const requests: Array<{
    method: string;
    url: string;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
  }> = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    try {
      await handler(req, res, body);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A module serving `spec` at /docs and answering operations with `answer`. */
export function specModule(
  spec: unknown,
  answer: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void,
) {
  return startModule((req, res, body) => {
    if (req.url === '/docs') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(typeof spec === 'string' ? spec : JSON.stringify(spec));
      return;
    }
    answer(req, res, body);
  });
}
