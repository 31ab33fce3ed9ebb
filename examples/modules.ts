/**
 * The bundled example logic modules: four small REST services on plain `node:http`, each
 * describing itself with a spec served at `/docs` (the files in `examples/specs/`, read as they
 * are, so the spec a module serves and the spec `.meshrc.yml` points at are one file).
 *
 * | kind      | spec                   | API base | batch operation                 |
 * |-----------|------------------------|----------|---------------------------------|
 * | customers | Swagger 2.0, JSON      | `/api`   | `GET /api/customers?ids=1,2`    |
 * | orders    | OpenAPI 3.0, JSON      | `/v1`    | -                               |
 * | products  | OpenAPI 3.0, YAML      | (root)   | `GET /products?ids=1,2`         |
 * | documents | OpenAPI 3.0, JSON      | (root)   | `GET /documents?customerIds=1,2`|
 *
 * Each module records every request it receives in `calls`, so tests can count upstream calls
 * (for instance, that a join was batched into one call).
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

import { makeExampleData } from './data.js';
import type {
  Customer,
  CustomerTier,
  Document,
  ExampleData,
  Order,
  OrderStatus,
  Product,
} from './data.js';

export type ExampleModuleKind = 'customers' | 'orders' | 'products' | 'documents';

export const EXAMPLE_MODULE_KINDS: readonly ExampleModuleKind[] = [
  'customers',
  'orders',
  'products',
  'documents',
];

/** The fixed ports `run-examples.ts` and `.meshrc.yml` use. Tests use port 0 instead. */
export const EXAMPLE_PORTS: Readonly<Record<ExampleModuleKind, number>> = {
  customers: 4101,
  orders: 4102,
  products: 4103,
  documents: 4104,
};

/** Where each module's API lives below its origin (Swagger `basePath`, OpenAPI `servers[0].url`). */
export const EXAMPLE_BASE_PATHS: Readonly<Record<ExampleModuleKind, string>> = {
  customers: '/api',
  orders: '/v1',
  products: '',
  documents: '',
};

export const EXAMPLE_SPEC_FILES: Readonly<Record<ExampleModuleKind, string>> = {
  customers: 'customers.json',
  orders: 'orders.json',
  products: 'products.yaml',
  documents: 'documents.json',
};

/** Path of the spec every module serves at `/docs`. */
export const EXAMPLE_SPEC_PATH = '/docs';

/** Absolute path of a module's spec file in `examples/specs/`. */
export function exampleSpecFile(kind: ExampleModuleKind): string {
  return fileURLToPath(new URL(`./specs/${EXAMPLE_SPEC_FILES[kind]}`, import.meta.url));
}

/** One request a module received. */
export interface RecordedCall {
  method: string;
  /** URL path without the query string, e.g. `/api/customers`. */
  path: string;
  /** Raw query string without the leading `?` (empty when none), e.g. `ids=1,2`. */
  query: string;
}

export interface StartExampleModuleOptions {
  /** Port to listen on. Default 0: a free port chosen by the OS (what tests want). */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /**
   * Records to serve. Default `makeExampleData()`. The module works on its own copy, so
   * writes (POST, PUT, DELETE) never leak into the caller's object or into other modules.
   */
  data?: ExampleData;
  /** Simulated service time of every API call (not `/docs`), in ms: a module doing real work. Default 0. */
  latencyMs?: number;
}

export interface ExampleModule {
  /** The module kind, also its name: `customers`, `orders`, `products` or `documents`. */
  name: ExampleModuleKind;
  /** Origin the module listens on, e.g. `http://127.0.0.1:4101` (no base path). */
  url: string;
  port: number;
  /** Base URL of the API: `url` plus the base path, e.g. `http://127.0.0.1:4101/api`. */
  endpoint: string;
  /** URL of the spec, `url` + `/docs`. */
  specUrl: string;
  /** Every request received since start (or the last `resetCalls()`), oldest first. */
  calls: RecordedCall[];
  /** Empties `calls` in place (references to the array stay valid). */
  resetCalls(): void;
  /** Stops listening and drops open keep-alive connections. */
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface RequestContext {
  req: IncomingMessage;
  params: string[];
  query: URLSearchParams;
}

interface Route {
  method: string;
  pattern: RegExp;
  handle(context: RequestContext): Reply | Promise<Reply>;
}

/** A client error, turned into a JSON reply `{ code, message }`. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 1024 * 1024;
const TIERS: readonly CustomerTier[] = ['bronze', 'silver', 'gold'];
const STATUSES: readonly OrderStatus[] = ['pending', 'paid', 'shipped', 'cancelled'];

const json = (status: number, body: unknown, headers?: Record<string, string>): Reply =>
  headers ? { status, body, headers } : { status, body };

function notFound(what: string, id: number): HttpError {
  return new HttpError(404, 'NOT_FOUND', `${what} ${id} not found`);
}

function parseId(raw: string | undefined, what = 'id'): number {
  if (raw === undefined || !/^-?\d+$/.test(raw)) {
    throw new HttpError(400, 'INVALID_ID', `${what} must be an integer, got "${raw ?? ''}"`);
  }
  return Number(raw);
}

/** An optional integer query parameter. */
function queryInt(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  return raw === null || raw === '' ? undefined : parseId(raw, name);
}

/**
 * An integer list from the query string, in any of the shapes clients send: `ids=1,2` (csv,
 * what the specs declare), `ids=1&ids=2`, `ids[]=1` or `ids[0]=1`. Undefined when absent.
 */
function queryIntList(query: URLSearchParams, name: string): number[] | undefined {
  const values: string[] = [];
  let present = false;
  for (const [key, value] of query) {
    if (key === name || key === `${name}[]` || new RegExp(`^${name}\\[\\d+\\]$`).test(key)) {
      present = true;
      values.push(...value.split(',').filter((part) => part.trim() !== ''));
    }
  }
  if (!present) return undefined;
  return [...new Set(values.map((value) => parseId(value.trim(), name)))];
}

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'BODY_TOO_LARGE', 'Body over 1 MB');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'Body must be JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'INVALID_BODY', 'Body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function field<T>(
  body: Record<string, unknown>,
  name: string,
  check: (value: unknown) => value is T,
  expected: string,
  required: boolean,
): T | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw new HttpError(400, 'INVALID_BODY', `"${name}" is required`);
    return undefined;
  }
  if (!check(value)) throw new HttpError(400, 'INVALID_BODY', `"${name}" must be ${expected}`);
  return value;
}

const isString = (value: unknown): value is string => typeof value === 'string' && value !== '';
const isInteger = (value: unknown): value is number => Number.isInteger(value);
const isPositiveInteger = (value: unknown): value is number => isInteger(value) && value >= 1;
const isNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);
const isTier = (value: unknown): value is CustomerTier => TIERS.includes(value as CustomerTier);
const isStatus = (value: unknown): value is OrderStatus => STATUSES.includes(value as OrderStatus);

const nextId = (items: readonly { id: number }[]): number =>
  items.reduce((max, item) => Math.max(max, item.id), 0) + 1;

function byIds<T extends { id: number }>(items: readonly T[], ids: readonly number[]): T[] {
  const index = new Map(items.map((item) => [item.id, item]));
  return ids.flatMap((id) => index.get(id) ?? []);
}

function customerRoutes(customers: Customer[], base: string): Route[] {
  const find = (id: number): Customer => {
    const customer = customers.find((item) => item.id === id);
    if (!customer) throw notFound('Customer', id);
    return customer;
  };
  const readInput = (body: Record<string, unknown>, partial: boolean) => ({
    name: field(body, 'name', isString, 'a non-empty string', !partial),
    email: field(body, 'email', isString, 'a non-empty string', !partial),
    tier: field(body, 'tier', isTier, `one of ${TIERS.join(', ')}`, false),
  });
  const collection = new RegExp(`^${base}/customers/?$`);
  const item = new RegExp(`^${base}/customers/([^/]+)$`);
  return [
    {
      method: 'GET',
      pattern: collection,
      handle: ({ query }) => {
        const ids = queryIntList(query, 'ids');
        return json(200, ids ? byIds(customers, ids) : customers);
      },
    },
    {
      method: 'POST',
      pattern: collection,
      handle: async ({ req }) => {
        const input = readInput(await readJsonBody(req), false);
        const customer: Customer = {
          id: nextId(customers),
          name: input.name!,
          email: input.email!,
          tier: input.tier ?? 'bronze',
        };
        customers.push(customer);
        return json(201, customer, { location: `${base}/customers/${customer.id}` });
      },
    },
    {
      method: 'GET',
      pattern: item,
      handle: ({ params }) => json(200, find(parseId(params[0]))),
    },
    {
      method: 'PUT',
      pattern: item,
      handle: async ({ req, params }) => {
        const customer = find(parseId(params[0]));
        const input = readInput(await readJsonBody(req), false);
        Object.assign(customer, {
          name: input.name!,
          email: input.email!,
          tier: input.tier ?? 'bronze',
        });
        return json(200, customer);
      },
    },
    {
      method: 'PATCH',
      pattern: item,
      handle: async ({ req, params }) => {
        const customer = find(parseId(params[0]));
        const input = readInput(await readJsonBody(req), true);
        if (input.name !== undefined) customer.name = input.name;
        if (input.email !== undefined) customer.email = input.email;
        if (input.tier !== undefined) customer.tier = input.tier;
        return json(200, customer);
      },
    },
    {
      method: 'DELETE',
      pattern: item,
      handle: ({ params }) => {
        const customer = find(parseId(params[0]));
        customers.splice(customers.indexOf(customer), 1);
        return { status: 204 };
      },
    },
  ];
}

function orderRoutes(orders: Order[], products: readonly Product[], base: string): Route[] {
  const find = (id: number): Order => {
    const order = orders.find((item) => item.id === id);
    if (!order) throw notFound('Order', id);
    return order;
  };
  const collection = new RegExp(`^${base}/orders/?$`);
  const item = new RegExp(`^${base}/orders/([^/]+)$`);
  return [
    {
      method: 'GET',
      pattern: collection,
      handle: ({ query }) => {
        const limit = queryInt(query, 'limit') ?? 100;
        if (limit < 0) throw new HttpError(400, 'INVALID_QUERY', 'limit must be >= 0');
        const customerId = queryInt(query, 'customerId');
        const matching =
          customerId === undefined ? orders : orders.filter((o) => o.customerId === customerId);
        return json(200, matching.slice(0, limit));
      },
    },
    {
      method: 'POST',
      pattern: collection,
      handle: async ({ req }) => {
        const body = await readJsonBody(req);
        const customerId = field(body, 'customerId', isInteger, 'an integer', true)!;
        const productId = field(body, 'productId', isInteger, 'an integer', true)!;
        const quantity = field(body, 'quantity', isPositiveInteger, 'an integer >= 1', true)!;
        const price = products.find((product) => product.id === productId)?.price ?? 0;
        const order: Order = {
          id: nextId(orders),
          customerId,
          productId,
          quantity,
          total:
            field(body, 'total', isNumber, 'a number', false) ??
            Math.round(quantity * price * 100) / 100,
          status:
            field(body, 'status', isStatus, `one of ${STATUSES.join(', ')}`, false) ?? 'pending',
        };
        orders.push(order);
        return json(201, order, { location: `${base}/orders/${order.id}` });
      },
    },
    {
      method: 'GET',
      pattern: item,
      handle: ({ params }) => json(200, find(parseId(params[0]))),
    },
    {
      method: 'DELETE',
      pattern: item,
      handle: ({ params }) => {
        const order = find(parseId(params[0]));
        orders.splice(orders.indexOf(order), 1);
        return { status: 204 };
      },
    },
  ];
}

function productRoutes(products: readonly Product[], base: string): Route[] {
  return [
    {
      method: 'GET',
      pattern: new RegExp(`^${base}/products/?$`),
      handle: ({ query }) => {
        const ids = queryIntList(query, 'ids');
        return json(200, ids ? byIds(products, ids) : products);
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${base}/products/([^/]+)$`),
      handle: ({ params }) => {
        const id = parseId(params[0]);
        const product = products.find((item) => item.id === id);
        if (!product) throw notFound('Product', id);
        return json(200, product);
      },
    },
  ];
}

function documentRoutes(documents: readonly Document[], base: string): Route[] {
  return [
    {
      method: 'GET',
      pattern: new RegExp(`^${base}/documents/?$`),
      handle: ({ query }) => {
        const customerId = queryInt(query, 'customerId');
        const customerIds = queryIntList(query, 'customerIds');
        const wanted = customerIds && new Set(customerIds);
        return json(
          200,
          documents.filter(
            (document) =>
              (customerId === undefined || document.customerId === customerId) &&
              (wanted === undefined || wanted.has(document.customerId)),
          ),
        );
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${base}/documents/([^/]+)$`),
      handle: ({ params }) => {
        const id = parseId(params[0]);
        const document = documents.find((item) => item.id === id);
        if (!document) throw notFound('Document', id);
        return json(200, document);
      },
    },
  ];
}

function routesFor(kind: ExampleModuleKind, data: ExampleData): Route[] {
  const base = EXAMPLE_BASE_PATHS[kind];
  switch (kind) {
    case 'customers':
      return customerRoutes(data.customers, base);
    case 'orders':
      return orderRoutes(data.orders, data.products, base);
    case 'products':
      return productRoutes(data.products, base);
    case 'documents':
      return documentRoutes(data.documents, base);
  }
}

function send(res: ServerResponse, reply: Reply, headOnly: boolean): void {
  const payload = reply.body === undefined ? undefined : Buffer.from(JSON.stringify(reply.body));
  const headers: Record<string, string | number> = { ...reply.headers };
  if (payload) {
    headers['content-type'] = 'application/json; charset=utf-8';
    headers['content-length'] = payload.length;
  }
  res.writeHead(reply.status, headers);
  res.end(headOnly ? undefined : payload);
}

function sendError(res: ServerResponse, error: unknown, headOnly: boolean): void {
  if (error instanceof HttpError) {
    send(res, json(error.status, { code: error.code, message: error.message }), headOnly);
  } else {
    send(res, json(500, { code: 'INTERNAL', message: 'Internal error' }), headOnly);
  }
}

/** Starts one example module; see the file comment for what each kind serves. */
export async function startExampleModule(
  kind: ExampleModuleKind,
  options: StartExampleModuleOptions = {},
): Promise<ExampleModule> {
  if (!EXAMPLE_MODULE_KINDS.includes(kind)) {
    throw new TypeError(`Unknown example module "${String(kind)}"`);
  }
  const data = structuredClone(options.data ?? makeExampleData());
  const routes = routesFor(kind, data);
  const spec = await readFile(exampleSpecFile(kind));
  const specType = EXAMPLE_SPEC_FILES[kind].endsWith('.yaml')
    ? 'application/yaml; charset=utf-8'
    : 'application/json; charset=utf-8';
  const calls: RecordedCall[] = [];

  const latencyMs = options.latencyMs ?? 0;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    calls.push({ method, path: url.pathname, query: url.search.slice(1) });
    const headOnly = method === 'HEAD';

    if (latencyMs > 0 && url.pathname !== EXAMPLE_SPEC_PATH) {
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
    }
    if (url.pathname === EXAMPLE_SPEC_PATH) {
      if (method === 'GET' || method === 'HEAD') {
        res.writeHead(200, { 'content-type': specType, 'content-length': spec.length });
        res.end(headOnly ? undefined : spec);
      } else if (method === 'OPTIONS') {
        send(res, { status: 204, headers: { allow: 'GET, HEAD, OPTIONS' } }, true);
      } else {
        send(res, json(405, methodNotAllowed(method), { allow: 'GET, HEAD, OPTIONS' }), false);
      }
      return;
    }

    const matching = routes.flatMap((route) => {
      const match = route.pattern.exec(url.pathname);
      return match ? [{ route, params: match.slice(1).map(safeDecode) }] : [];
    });
    if (matching.length === 0) {
      send(
        res,
        json(404, { code: 'NOT_FOUND', message: `No route for ${url.pathname}` }),
        headOnly,
      );
      return;
    }
    const methods = new Set(matching.map(({ route }) => route.method));
    if (methods.has('GET')) methods.add('HEAD');
    methods.add('OPTIONS');
    const allow = [...methods].join(', ');
    if (method === 'OPTIONS') {
      send(res, { status: 204, headers: { allow } }, true);
      return;
    }
    const found = matching.find(({ route }) => route.method === (headOnly ? 'GET' : method));
    if (!found) {
      send(res, json(405, methodNotAllowed(method), { allow }), headOnly);
      return;
    }
    try {
      const reply = await found.route.handle({
        req,
        params: found.params,
        query: url.searchParams,
      });
      send(res, reply, headOnly);
    } catch (error) {
      sendError(res, error, headOnly);
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, error, false);
      else res.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    name: kind,
    url: origin,
    port,
    endpoint: origin + EXAMPLE_BASE_PATHS[kind],
    specUrl: origin + EXAMPLE_SPEC_PATH,
    calls,
    resetCalls: () => {
      calls.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Without this, close() waits for idle keep-alive connections (fetch keeps them).
        server.closeAllConnections();
      }),
  };
}

function methodNotAllowed(method: string) {
  return { code: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed here` };
}

/** Starts all four modules; on failure, closes the ones already started. */
export async function startExampleModules(
  options: {
    host?: string;
    data?: ExampleData;
    ports?: Partial<Record<ExampleModuleKind, number>>;
  } = {},
): Promise<Record<ExampleModuleKind, ExampleModule>> {
  const data = options.data ?? makeExampleData();
  const started: ExampleModule[] = [];
  try {
    for (const kind of EXAMPLE_MODULE_KINDS) {
      started.push(
        await startExampleModule(kind, {
          data,
          port: options.ports?.[kind] ?? 0,
          ...(options.host === undefined ? {} : { host: options.host }),
        }),
      );
    }
  } catch (error) {
    await Promise.all(started.map((module) => module.close()));
    throw error;
  }
  const [customers, orders, products, documents] = started as [
    ExampleModule,
    ExampleModule,
    ExampleModule,
    ExampleModule,
  ];
  return { customers, orders, products, documents };
}

/** Decodes a path segment; a malformed escape (`%`) stays as written and fails validation as text. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
