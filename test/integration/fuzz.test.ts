import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleModule, type ExampleModule } from '../../examples/modules.js';
import { InProcessBroker } from '../../src/events/in-process-event-bus.js';
import { adminToken, specModule, startTestGateway, type TestGateway } from '../helpers/gateway.js';

// In CI the runs are reproducible (a fixed seed, or FC_SEED); locally every run explores new inputs.
const seed = process.env['FC_SEED']
  ? Number(process.env['FC_SEED'])
  : process.env['CI']
    ? 20261127
    : undefined;
if (seed !== undefined) fc.configureGlobal({ seed });

/** Property-based bad input against a running gateway: it never crashes, never answers 500 without a code, never loses a row. */
describe('bad input, systematically (fast-check)', () => {
  let gw: TestGateway;
  let customers: ExampleModule;

  beforeAll(async () => {
    customers = await startExampleModule('customers');
    gw = await startTestGateway();
    expect(
      (await gw.admin('POST', '/modules', { name: 'customers', endpoint: customers.url })).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await gw?.close();
    await customers?.close();
  });

  async function expectCoded(res: Response, where: string): Promise<void> {
    const text = await res.text();
    expect(res.status, `${where}: ${text.slice(0, 200)}`).not.toBe(500);
    if (res.status >= 400 && text !== '' && res.headers.get('content-type')?.includes('json')) {
      const body = JSON.parse(text);
      const code = body.error?.code ?? body.errors?.[0]?.extensions?.code;
      expect(typeof code, `${where}: ${text.slice(0, 200)}`).toBe('string');
    }
  }

  it('known bad inputs found by fuzzing keep answering with codes (regressions)', async () => {
    const http = await import('node:http');
    const raw = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: gw.port,
            path,
            headers: { authorization: `Bearer ${adminToken()}` },
          },
          (res) => {
            let body = '';
            res.on('data', (c) => (body += String(c)));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    for (const path of [
      '//customers/%',
      '/customers/..//customers/%',
      '/%',
      '/admin/modules/%00',
      '/admin/joins/%00',
      '/admin/modules/%',
    ]) {
      const r = await raw(path);
      expect(r.status, `${path}: ${r.body}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${path}: ${r.body}`).toBeLessThan(500);
      expect(JSON.parse(r.body).error.code, path).toMatch(/^[A-Z_]+$/);
    }
  });

  const validQuery = '{ customers_getCustomer(id: 1) { id name } _gateway { version } }';
  const mutatedQuery = fc
    .tuple(fc.nat(validQuery.length), fc.nat(10), fc.string({ maxLength: 8 }))
    .map(([at, del, ins]) => validQuery.slice(0, at) + ins + validQuery.slice(at + del));

  it('GraphQL: random and mutated documents and variables get coded errors', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 200 }), mutatedQuery),
        fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 })),
        async (query, variables) => {
          const res = await gw.call('/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query, variables }),
          });
          await expectCoded(res, `query ${JSON.stringify(query)}`);
          expect([200, 400]).toContain(res.status);
        },
      ),
      { numRuns: 150 },
    );
    // Raw bodies that are not JSON at all.
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 100 }), async (raw) => {
        const res = await gw.call('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: raw,
        });
        await expectCoded(res, `raw ${JSON.stringify(raw)}`);
      }),
      { numRuns: 50 },
    );
  });

  it('REST: random paths and methods never produce an uncoded 500', async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        'customers',
        'api',
        '..',
        '.',
        '%2e%2e',
        '%00',
        'admin',
        '{id}',
        '%7Bid%7D',
        '1',
        '',
      ),
      fc.stringMatching(/^[A-Za-z0-9._~%-]{0,12}$/),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
        fc.constantFrom(
          'customers',
          'customers',
          'admin',
          'admin/modules',
          'admin/joins',
          'docs',
          'graphql',
          '%',
          'nope',
        ),
        fc.array(segment, { maxLength: 5 }),
        fc.stringMatching(/^[A-Za-z0-9=&%.-]{0,20}$/),
        async (anyMethod, prefix, segments, query) => {
          // Admin writes are fuzzed by the payload property below; here they must not delete the fixture.
          const method =
            prefix.startsWith('admin') && anyMethod !== 'GET' && anyMethod !== 'HEAD'
              ? 'GET'
              : anyMethod;
          const path = `/${[prefix, ...segments].join('/')}${query ? `?${query}` : ''}`;
          const callsBefore = customers.calls.length;
          const res = await gw.call(path, {
            method,
            ...(method === 'POST' || method === 'PUT'
              ? { body: '{}', headers: { 'content-type': 'application/json' } }
              : {}),
          });
          if (customers.calls.length > callsBefore) {
            // The module answered: its own status and body come back as they are.
            expect(res.status).not.toBe(500);
            await res.arrayBuffer();
          } else {
            await expectCoded(res, `${method} ${path}`);
          }
        },
      ),
      { numRuns: 150 },
    );
    expect((await gw.call('/health/live')).status).toBe(200);
  });

  it('admin: random payloads are refused with every problem listed, and no row is lost', async () => {
    const before = (await gw.admin('GET', '/modules')).body.modules.map((m: any) => m.name).sort();
    const created: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          fc.record(
            {
              name: fc.oneof(
                fc.string({ maxLength: 20 }),
                fc.constantFrom('admin', 'customers', 'graphql', 'ok-name'),
              ),
              endpoint: fc.oneof(
                fc.string({ maxLength: 30 }),
                fc.webUrl(),
                fc.constant('http://127.0.0.1:9'),
              ),
              docsPath: fc.oneof(fc.string({ maxLength: 10 }), fc.constant('/docs')),
              enabled: fc.oneof(fc.boolean(), fc.string({ maxLength: 3 })),
            },
            { requiredKeys: [] },
          ),
        ),
        fc.constantFrom(
          'POST /modules',
          'PATCH /modules/customers',
          'POST /joins',
          'PATCH /modules/nope',
        ),
        async (payload, route) => {
          const [method, path] = route.split(' ') as [string, string];
          const res = await gw.call(`/admin${path}`, {
            method,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(payload),
          });
          if (res.status === 201) {
            const b = (await res.json()) as any;
            created.push(b.name);
            return;
          }
          await expectCoded(res, `${route} ${JSON.stringify(payload).slice(0, 100)}`);
          if (route === 'PATCH /modules/customers' && res.status === 200) {
            // A valid patch may have changed the endpoint: put it back.
            await gw.admin('PATCH', '/modules/customers', {
              endpoint: customers.url,
              docsPath: '/docs',
              enabled: true,
            });
          }
        },
      ),
      { numRuns: 120 },
    );
    await gw.admin('PATCH', '/modules/customers', {
      endpoint: customers.url,
      docsPath: '/docs',
      enabled: true,
    });
    const after = (await gw.admin('GET', '/modules')).body.modules.map((m: any) => m.name).sort();
    expect(after).toEqual([...before, ...created].sort());
    const q = await gw.gql('{ customers_getCustomer(id: 1) { id } }');
    expect(q.body.data.customers_getCustomer.id).toBe(1);
    for (const n of created) await gw.admin('DELETE', `/modules/${encodeURIComponent(n)}`);
  });

  it('specs: random and mangled documents are quarantined, never break the gateway', async () => {
    const base = {
      openapi: '3.0.0',
      info: { title: 't', version: '1' },
      paths: {
        '/x/{id}': {
          get: {
            operationId: 'getX',
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
            responses: {
              200: {
                description: 'ok',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/X' } } },
              },
            },
          },
        },
      },
      components: { schemas: { X: { type: 'object', properties: { id: { type: 'integer' } } } } },
    };
    const mangle = fc
      .tuple(
        fc.constantFrom('paths', 'components', 'info', 'openapi', 'swagger'),
        fc.jsonValue({ maxDepth: 3 }),
      )
      .map(([k, v]) => ({ ...base, [k]: v }));
    let i = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.jsonValue({ maxDepth: 3 }), mangle, fc.string({ maxLength: 50 })),
        async (spec) => {
          const mod = await specModule(
            typeof spec === 'string' ? spec : JSON.stringify(spec),
            (_req, res) => res.end('{}'),
          );
          const name = `fuzz${i++}`;
          try {
            const r = await gw.admin('POST', '/modules', { name, endpoint: mod.url });
            expect(r.status).toBe(201);
            expect(['ok', 'empty', 'invalid']).toContain(r.body.status);
            const q = await gw.gql('{ customers_getCustomer(id: 2) { id } }');
            expect(q.body.data.customers_getCustomer.id).toBe(2);
          } finally {
            await gw.admin('DELETE', `/modules/${name}`);
            await mod.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('broker messages: random bytes, JSON and mangled events are dead-lettered or applied, never crash', async () => {
    const broker = new InProcessBroker();
    const replica = await startTestGateway(
      { SPEC_FETCH_TIMEOUT_MS: '300' },
      { inProcessBroker: broker },
    );
    try {
      expect(
        (await replica.admin('POST', '/modules', { name: 'customers', endpoint: customers.url }))
          .status,
      ).toBe(201);
      const names = fc.constantFrom('fz-a', 'fz-b', 'Bad Name', 'admin', '', 'x'.repeat(80));
      const event = fc.record(
        {
          type: fc.oneof(
            fc.constantFrom('module.added', 'module.updated', 'module.removed'),
            fc.string({ maxLength: 15 }),
          ),
          messageId: fc.oneof(fc.uuid(), fc.string({ maxLength: 10 })),
          timestamp: fc.oneof(
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            fc.string({ maxLength: 10 }),
          ),
          module: fc.oneof(
            fc.record(
              {
                name: names,
                endpoint: fc.oneof(fc.constant('http://127.0.0.1:9'), fc.string({ maxLength: 20 })),
                docsPath: fc.constantFrom('/docs', 'docs', ''),
              },
              { requiredKeys: [] },
            ),
            fc.jsonValue({ maxDepth: 2 }),
          ),
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
            fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))),
            event.map((e) => Buffer.from(JSON.stringify(e))),
          ),
          fc.constantFrom('module.added', 'module.updated', 'module.removed', 'module.other', 'x'),
          async (content, routingKey) => {
            const before = broker.deadLetters.length;
            await broker.deliver(content, routingKey);
            // Either applied (valid) or dead-lettered with a reason; never thrown, never stuck.
            if (broker.deadLetters.length > before)
              expect(broker.deadLetters.at(-1)?.reason).toBeTruthy();
          },
        ),
        { numRuns: 120 },
      );
      await replica.events.idle();
      const modules = (await replica.admin('GET', '/modules')).body.modules.map((m: any) => m.name);
      expect(modules).toContain('customers');
      for (const n of modules) expect(['customers', 'fz-a', 'fz-b']).toContain(n);
      const q = await replica.gql('{ customers_getCustomer(id: 3) { id } }');
      expect(q.body.data.customers_getCustomer.id).toBe(3);
      expect((await fetch(`${replica.url}/health/ready`)).status).toBe(200);
    } finally {
      await replica.close();
    }
  });
});
