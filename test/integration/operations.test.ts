import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleModule, type ExampleModule } from '../../examples/modules.js';
import { specModule, startTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('operations: limits, metrics, SSRF guard', () => {
  let gw: TestGateway;
  let customers: ExampleModule;
  let orders: ExampleModule;

  beforeAll(async () => {
    customers = await startExampleModule('customers');
    orders = await startExampleModule('orders');
    gw = await startTestGateway({
      NODE_ENV: 'production',
      GRAPHQL_MAX_DEPTH: '4',
      GRAPHQL_MAX_ALIASES: '3',
      GRAPHQL_MAX_COST: '100',
      BODY_LIMIT_BYTES: '2000',
      REST_BODY_LIMIT_BYTES: '1000',
      RATE_LIMIT_RPS: '1',
      RATE_LIMIT_BURST: '1000',
    });
    expect(
      (await gw.admin('POST', '/modules', { name: 'customers', endpoint: customers.url })).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await gw?.close();
    await customers?.close();
    await orders?.close();
  });

  it('refuses documents that are too deep, too aliased or too expensive, each with its own code', async () => {
    const deep = await gw.gql('{ _gateway { modules { name } } a: _gateway { version } }');
    expect(deep.body.errors).toBeUndefined();
    const tooDeep = await gw.gql('{ __schema { types { fields { type { ofType { name } } } } } }');
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.errors[0].extensions.code).toBe('QUERY_TOO_DEEP');
    const aliases = await gw.gql(
      '{ a: _gateway { version } b: _gateway { version } c: _gateway { version } d: _gateway { version } }',
    );
    expect(aliases.body.errors[0].extensions.code).toBe('TOO_MANY_ALIASES');
    const costly = await gw.gql(
      '{ customers_listCustomers(ids: [1]) { id name email tier } x: customers_listCustomers { id name email } }',
    );
    expect(costly.body.errors?.[0]?.extensions.code ?? 'none').toBe('none');
    const tooCostly = await gw.gql(
      `{ ${Array.from({ length: 3 }, (_, i) => `q${i}: customers_listCustomers { id name email tier }`).join(' ')} customers_listCustomers { id name email tier } }`,
    );
    expect(tooCostly.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('answers 413 for bodies over the limits', async () => {
    const big = await gw.call('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ _gateway { version } } # ${'x'.repeat(5000)}` }),
    });
    expect(big.status).toBe(413);
    const rest = await gw.call('/customers/customers', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(5000) }),
    });
    expect(rest.status).toBe(413);
    expect(((await rest.json()) as any).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses cloud-metadata endpoints in production', async () => {
    const r = await gw.admin('POST', '/modules', {
      name: 'meta',
      endpoint: 'http://169.254.169.254',
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('ENDPOINT_NOT_ALLOWED');
    expect((await gw.admin('GET', '/modules/meta')).status).toBe(404);
  });

  it('exposes Prometheus metrics for requests, operations, upstream calls, rebuilds and modules', async () => {
    await gw.gql('query ListThem { customers_listCustomers(ids: [1]) { id } }');
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(
      /bifrost_http_requests_total\{route="graphql",method="POST",status="200"\} \d+/,
    );
    expect(text).toMatch(
      /bifrost_graphql_operations_total\{operation="ListThem",type="query",outcome="success"\} 1/,
    );
    expect(text).toMatch(
      /bifrost_upstream_calls_total\{module="customers",status="200",error=""\} \d+/,
    );
    expect(text).toMatch(/bifrost_schema_rebuilds_total\{outcome="swapped"\} \d+/);
    expect(text).toMatch(/bifrost_modules\{status="ok"\} 1/);
    expect(text).toContain('bifrost_upstream_call_duration_seconds_bucket');

    // Join batches: 5 orders over 5 customers, one batch call.
    expect(
      (await gw.admin('POST', '/modules', { name: 'orders', endpoint: orders.url })).status,
    ).toBe(201);
    const join = await gw.admin('POST', '/joins', {
      name: 'order-customer',
      sourceType: 'Orders_Order',
      fieldName: 'customer',
      sourceKeyFields: ['customerId'],
      targetOperation: 'customers_getCustomer',
      batchOperation: 'customers_listCustomers',
    });
    expect(join.status, JSON.stringify(join.body)).toBe(201);
    const q = await gw.gql('{ orders_listOrders(limit: 5) { id customer { id } } }');
    expect(q.body.errors).toBeUndefined();
    const after = await (await fetch(`${gw.url}/metrics`)).text();
    expect(after).toMatch(/bifrost_join_batch_keys_sum\{join="order-customer"\} 5/);
    expect(after).toMatch(/bifrost_join_calls_saved_total\{join="order-customer"\} 4/);
  });
});

describe('rate limiting', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '3' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('answers 429 with Retry-After once a subject spent its burst, per subject', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await gw.call('/admin/status')).status);
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    const limited = await gw.call('/admin/status');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as any).error.code).toBe('RATE_LIMITED');
    const other = await gw.call('/admin/status', {
      token: (await import('../helpers/gateway.js')).adminToken({ sub: 'someone-else' }),
    });
    expect(other.status).toBe(200);
  });
});

describe('graceful shutdown', () => {
  it('turns readiness false, finishes requests in flight, then refuses connections', async () => {
    const slow = await specModule(
      {
        openapi: '3.0.0',
        info: { title: 'slow', version: '1' },
        paths: {
          '/wait': { get: { operationId: 'wait', responses: { 200: { description: 'ok' } } } },
        },
      },
      (_req, res) =>
        setTimeout(
          () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
          700,
        ),
    );
    const gw = await startTestGateway({ DRAIN_TIMEOUT_MS: '5000' });
    try {
      await gw.admin('POST', '/modules', { name: 'slow', endpoint: slow.url });
      const inFlight = gw.call('/slow/wait');
      await new Promise((r) => setTimeout(r, 100));
      const closing = gw.close();
      await new Promise((r) => setTimeout(r, 50));
      expect(gw.server.ready).toBe(false);
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
      await closing;
      await expect(fetch(`${gw.url}/health/live`)).rejects.toThrow();
    } finally {
      await gw.close();
      await slow.close();
    }
  });
});

describe('join key limit', () => {
  let gw: TestGateway;
  let customers: ExampleModule;
  let orders: ExampleModule;
  beforeAll(async () => {
    customers = await startExampleModule('customers');
    orders = await startExampleModule('orders');
    gw = await startTestGateway({ JOIN_MAX_KEYS: '3' });
    await gw.admin('POST', '/modules', { name: 'customers', endpoint: customers.url });
    await gw.admin('POST', '/modules', { name: 'orders', endpoint: orders.url });
    const join = await gw.admin('POST', '/joins', {
      name: 'order-customer',
      sourceType: 'Orders_Order',
      fieldName: 'customer',
      sourceKeyFields: ['customerId'],
      targetOperation: 'customers_getCustomer',
      batchOperation: 'customers_listCustomers',
    });
    expect(join.status, JSON.stringify(join.body)).toBe(201);
  });
  afterAll(async () => {
    await gw?.close();
    await customers?.close();
    await orders?.close();
  });

  it('answers within the cap, and refuses a join over it with JOIN_LIMIT_EXCEEDED on the field only', async () => {
    const small = await gw.gql('{ orders_listOrders(limit: 3) { id customer { id } } }');
    expect(small.body.errors).toBeUndefined();
    customers.resetCalls();
    const big = await gw.gql('{ orders_listOrders(limit: 5) { id customer { id } } }');
    expect(big.body.data.orders_listOrders).toHaveLength(5);
    expect(big.body.data.orders_listOrders[0].customer).toBeNull();
    expect(big.body.errors[0].extensions.code).toBe('JOIN_LIMIT_EXCEEDED');
    expect(big.body.errors[0].path).toEqual(['orders_listOrders', 0, 'customer']);
    expect(customers.calls.filter((c) => c.path !== '/docs')).toHaveLength(0);
  });
});
