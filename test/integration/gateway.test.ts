import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startExampleModule, type ExampleModule } from '../../examples/modules.js';
import {
  adminToken,
  specModule,
  startModule,
  startTestGateway,
  userToken,
  type TestGateway,
} from '../helpers/gateway.js';

/** A module spec where the same operation and type names exist (to test namespacing). */
const userSpec = (title: string) => ({
  openapi: '3.0.3',
  info: { title, version: '1.0.0' },
  servers: [{ url: 'https://not-this-host.example.com/v2' }],
  paths: {
    '/users/{id}': {
      get: {
        operationId: 'getUser',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: {
            description: 'ok',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/User' } } },
          },
        },
      },
    },
  },
  components: {
    schemas: {
      User: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
    },
  },
});

describe('gateway core (real PostgreSQL, real HTTP modules)', () => {
  let gw: TestGateway;
  let customers: ExampleModule;
  let orders: ExampleModule;
  const extra: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    customers = await startExampleModule('customers');
    orders = await startExampleModule('orders');
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
    await customers?.close();
    await orders?.close();
  });
  afterEach(async () => {
    await Promise.all(extra.splice(0).map((m) => m.close()));
  });

  it('is live at once and ready once the first schema exists', async () => {
    const live = await fetch(`${gw.url}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${gw.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as any).status).toBe('ready');
  });

  it('discovers a Swagger 2.0 and an OpenAPI 3 module added through the admin API and queries both at once', async () => {
    const a = await gw.admin('POST', '/modules', { name: 'customers', endpoint: customers.url });
    expect(a.status).toBe(201);
    expect(a.body.status, JSON.stringify(a.body)).toBe('ok');
    const b = await gw.admin('POST', '/modules', { name: 'orders', endpoint: orders.url });
    expect(b.status).toBe(201);
    const r = await gw.gql(
      '{ customers_getCustomer(id: 2) { id name } orders_listOrders(limit: 3) { id customerId } }',
    );
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.customers_getCustomer.id).toBe(2);
    expect(r.body.data.orders_listOrders).toHaveLength(3);
    // Calls went to the registered endpoints, with each spec's base path.
    expect(customers.calls.some((c) => c.method === 'GET' && c.path === '/api/customers/2')).toBe(
      true,
    );
    expect(orders.calls.some((c) => c.path === '/v1/orders')).toBe(true);
    const sdl = await gw.call('/admin/schema');
    const text = await sdl.text();
    expect(text).toContain('Customers_Customer');
    expect(text).toContain('Orders_Order');
  });

  it('keeps two modules with the same operation and type names apart', async () => {
    const mk = (who: string) =>
      specModule(userSpec(who), (req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: req.url!.split('/').pop(), name: `${who}:${req.url}` }));
      });
    const [m1, m2] = await Promise.all([mk('alpha'), mk('beta')]);
    extra.push(m1, m2);
    expect((await gw.admin('POST', '/modules', { name: 'alpha', endpoint: m1.url })).status).toBe(
      201,
    );
    expect((await gw.admin('POST', '/modules', { name: 'beta', endpoint: m2.url })).status).toBe(
      201,
    );
    const r = await gw.gql(
      '{ alpha_getUser(id: "7") { __typename id name } beta_getUser(id: "8") { __typename id name } }',
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.alpha_getUser).toEqual({
      __typename: 'Alpha_User',
      id: '7',
      name: 'alpha:/v2/users/7',
    });
    expect(r.body.data.beta_getUser).toEqual({
      __typename: 'Beta_User',
      id: '8',
      name: 'beta:/v2/users/8',
    });
    // The caller's token and a request id travel with GraphQL calls to the modules.
    const call = m1.requests.find((q) => q.url === '/v2/users/7');
    expect(call?.headers.authorization).toMatch(/^Bearer ey/);
    expect(String(call?.headers['x-request-id'])).toMatch(/^[\w.:-]+$/);
    await gw.admin('DELETE', '/modules/alpha');
    await gw.admin('DELETE', '/modules/beta');
  });

  it('quarantines a broken spec and a module that is down while the others keep working', async () => {
    const broken = await startModule((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{ "swagger": "2.0", "paths": ');
    });
    extra.push(broken);
    const bad = await gw.admin('POST', '/modules', { name: 'broken', endpoint: broken.url });
    expect(bad.status).toBe(201);
    expect(bad.body.status).toBe('invalid');
    expect(bad.body.lastError).toMatch(/JSON|YAML|parse/i);
    const down = await gw.admin('POST', '/modules', {
      name: 'down',
      endpoint: 'http://127.0.0.1:9',
    });
    expect(down.body.status).toBe('unreachable');
    const status = await gw.admin('GET', '/status');
    const byName = Object.fromEntries(status.body.modules.map((m: any) => [m.name, m]));
    expect(byName.broken.status).toBe('invalid');
    expect(byName.down.status).toBe('unreachable');
    expect(byName.customers.status).toBe('ok');
    const r = await gw.gql('{ customers_getCustomer(id: 1) { id } }');
    expect(r.body.data.customers_getCustomer.id).toBe(1);
    await gw.admin('DELETE', '/modules/broken');
    await gw.admin('DELETE', '/modules/down');
  });

  it('refuses requests without a valid token on every surface', async () => {
    const noToken = await gw.call('/graphql', {
      method: 'POST',
      token: null,
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ _gateway { version } }"}',
    });
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const rest = await gw.call('/customers/customers/1', { token: 'not-a-jwt' });
    expect(rest.status).toBe(401);
    expect(((await rest.json()) as any).error.code).toBe('UNAUTHENTICATED');
    const admin = await gw.call('/admin/modules', { token: userToken() });
    expect(admin.status).toBe(403);
    expect(((await admin.json()) as any).error.code).toBe('FORBIDDEN');
    const ok = await gw.call('/admin/modules', { token: adminToken() });
    expect(ok.status).toBe(200);
  });

  it('lists every problem of an invalid admin payload and refuses reserved names', async () => {
    const r = await gw.admin('POST', '/modules', {
      name: 'Bad Name!',
      endpoint: 'ftp://x',
      extra: 1,
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_FAILED');
    const fields = r.body.error.details.map((d: any) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'endpoint']));
    for (const name of ['admin', 'graphql', 'health', 'docs', 'metrics']) {
      const res = await gw.admin('POST', '/modules', { name, endpoint: 'http://127.0.0.1:1' });
      expect(res.status, name).toBe(400);
    }
    const dup = await gw.admin('POST', '/modules', { name: 'customers', endpoint: customers.url });
    expect(dup.status).toBe(409);
  });

  it('serves a merged OpenAPI document and the schema SDL', async () => {
    const res = await gw.call('/docs/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(doc.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.paths);
    expect(paths.some((p) => p.startsWith('/customers/'))).toBe(true);
    expect(paths.some((p) => p.startsWith('/orders/'))).toBe(true);
  });

  it('serves GraphiQL to a browser at /graphql and /graphiql without a token', async () => {
    for (const path of ['/graphql', '/graphiql']) {
      const res = await fetch(`${gw.url}${path}`, { headers: { accept: 'text/html' } });
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('graphiql');
      expect(html).not.toMatch(/https?:\/\/(unpkg|cdn|jsdelivr)/);
    }
  });

  it('answers GraphQL over GET too', async () => {
    const res = await gw.call(
      `/graphql?query=${encodeURIComponent('{ _gateway { modules { name } } }')}`,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.data._gateway.modules.map((m: any) => m.name)).toContain('customers');
  });

  it('reports an upstream 404 as a GraphQL error with a code, and other fields still answer', async () => {
    const r = await gw.gql(
      '{ missing: customers_getCustomer(id: 99999) { id } present: customers_getCustomer(id: 1) { id } }',
    );
    expect(r.body.data.present.id).toBe(1);
    expect(r.body.data.missing).toBeNull();
    expect(r.body.errors[0].extensions.code).toBe('UPSTREAM_ERROR');
    expect(r.body.errors[0].path).toEqual(['missing']);
  });
});
