/**
 * Async pattern, black-box: two gateway replicas share one PostgreSQL database and one RabbitMQ
 * broker (a unique name prefix per run). Module events published once are applied once and
 * served by both; poison messages are dead-lettered; the broker dropping a connection loses
 * nothing; queries keep succeeding while the schema is swapped.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleModule, type ExampleModule } from '../../examples/modules.js';
import { makeModuleEvent } from '../../src/events/module-events.js';
import type { PrismaRegistry } from '../../src/registry/prisma-registry.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { closeConnectionsNamed, createTestBroker, type TestBroker } from '../helpers/rabbitmq.js';

const exec = promisify(execFile);

async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 5_000,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Root query fields the gateway serves, read through /graphql. */
async function rootFields(gw: TestGateway): Promise<Set<string>> {
  const r = await gw.gql('{ __schema { queryType { fields { name } } } }');
  return new Set(
    (r.body.data?.__schema.queryType.fields ?? []).map((f: { name: string }) => f.name),
  );
}

const serves = async (gw: TestGateway, field: string) => (await rootFields(gw)).has(field);
const settled = (gws: TestGateway[]) =>
  gws.reduce((n, g) => n + g.events.bus.counters.acked + g.events.bus.counters.deadLettered, 0);

describe('module events over RabbitMQ (two replicas, real PostgreSQL)', () => {
  let broker: TestBroker;
  let db: TestDatabase;
  let a: TestGateway;
  let b: TestGateway;
  let customers: ExampleModule;
  let customers2: ExampleModule;
  let orders: ExampleModule;
  let products: ExampleModule;
  const both = () => [a, b];

  beforeAll(async () => {
    broker = await createTestBroker();
    db = await createTestDatabase();
    [customers, customers2, orders, products] = await Promise.all([
      startExampleModule('customers'),
      startExampleModule('customers'),
      startExampleModule('orders'),
      startExampleModule('products'),
    ]);
    const env = (replica: string) => ({
      AMQP_URL: broker.url,
      AMQP_PREFIX: broker.prefix,
      REPLICA_ID: `${broker.prefix}${replica}`,
      AMQP_RECONNECT_MAX_MS: '1000',
      AMQP_RETRY_DELAY_MS: '200',
    });
    a = await startTestGateway(env('a'), {}, db);
    b = await startTestGateway(env('b'), {}, db);
    expect(a.events.brokerState()).toBe('connected');
    expect(b.events.brokerState()).toBe('connected');
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await Promise.all([customers, customers2, orders, products].map((m) => m?.close()));
    await db?.drop();
    await broker?.close();
  });

  it('applies a module.added published once to the registry once, and both replicas serve it', async () => {
    const event = makeModuleEvent('module.added', {
      name: 'customers',
      endpoint: customers.url,
      docsPath: '/docs',
    });
    await broker.publish(event);
    const ms = await waitFor(
      'both replicas serve customers',
      async () =>
        (await serves(a, 'customers_getCustomer')) && (await serves(b, 'customers_getCustomer')),
    );
    expect(ms).toBeLessThan(2_000);
    const rows = (await a.registry.listModules()).filter((m) => m.name === 'customers');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ origin: 'event', status: 'ok', endpoint: customers.url });
    const r = await b.gql('{ customers_getCustomer(id: 2) { id name } }');
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.customers_getCustomer.id).toBe(2);
  });

  it('ignores a redelivered messageId, and an event older than the last one applied', async () => {
    const registry = a.registry as PrismaRegistry;
    const endpoint = async () => (await a.registry.getModule('customers'))!.endpoint;
    const t0 = Date.now();
    const moved = makeModuleEvent(
      'module.updated',
      { name: 'customers', endpoint: customers2.url },
      { timestamp: new Date(t0) },
    );
    await broker.publish(moved);
    await waitFor('update applied', async () => (await endpoint()) === customers2.url);

    // Same messageId again (a redelivery), even with different content: nothing changes.
    let before = settled(both());
    await broker.publish({ ...moved, module: { name: 'customers', endpoint: customers.url } });
    await waitFor('duplicate settled', () => settled(both()) > before);
    expect(await endpoint()).toBe(customers2.url);
    expect(await registry.hasProcessedEvent(moved.messageId)).toBe(true);

    // Older than the event applied last: ignored.
    before = settled(both());
    const stale = makeModuleEvent(
      'module.updated',
      { name: 'customers', endpoint: customers.url },
      { timestamp: new Date(t0 - 60_000) },
    );
    await broker.publish(stale);
    await waitFor('stale event settled', () => settled(both()) > before);
    expect(await registry.hasProcessedEvent(stale.messageId)).toBe(true);
    expect(await endpoint()).toBe(customers2.url);
    // An older module.removed does not remove it either.
    before = settled(both());
    await broker.publish(
      makeModuleEvent('module.removed', { name: 'customers' }, { timestamp: new Date(t0 - 1_000) }),
    );
    await waitFor('stale removal settled', () => settled(both()) > before);
    expect(await a.registry.getModule('customers')).not.toBeNull();

    // A newer one is applied, and both replicas call the new endpoint.
    await broker.publish(
      makeModuleEvent(
        'module.updated',
        { name: 'customers', endpoint: customers.url },
        { timestamp: new Date(t0 + 1) },
      ),
    );
    await waitFor('newer update applied', async () => (await endpoint()) === customers.url);
    await waitFor('both replicas call the new endpoint', async () => {
      customers.resetCalls();
      await Promise.all(both().map((g) => g.gql('{ customers_getCustomer(id: 1) { id } }')));
      return customers.calls.filter((c) => c.path === '/api/customers/1').length === 2;
    });
  });

  it('dead-letters poison messages with the reason and applies the next good message', async () => {
    await broker.publishRaw('{ this is not json', 'module.added');
    await broker.publishRaw(
      JSON.stringify(
        makeModuleEvent('module.added', { name: 'Not A Name!', endpoint: orders.url }),
      ),
      'module.added',
    );
    await broker.publishRaw(
      JSON.stringify({
        type: 'module.exploded',
        messageId: 'x',
        timestamp: new Date().toISOString(),
        module: { name: 'orders' },
      }),
      'module.exploded',
    );
    await broker.publish(makeModuleEvent('module.added', { name: 'orders', endpoint: orders.url }));
    await waitFor(
      'both replicas serve orders',
      async () => (await serves(a, 'orders_listOrders')) && (await serves(b, 'orders_listOrders')),
    );
    const dead: Array<{ content: string; headers: Record<string, unknown> }> = [];
    await waitFor('three dead letters', async () => {
      dead.push(...(await broker.drainDeadLetters()));
      return dead.length >= 3;
    });
    expect(dead).toHaveLength(3);
    const reasons = dead.map((d) => String(d.headers['x-bifrost-error']));
    expect(reasons.find((r) => r.startsWith('invalid JSON'))).toBeDefined();
    expect(reasons.find((r) => r.includes('module.name: name must match'))).toBeDefined();
    expect(reasons.find((r) => r.includes('type'))).toBeDefined();
    expect(dead.map((d) => d.content)).toContain('{ this is not json');
    expect((await a.registry.listModules()).map((m) => m.name).sort()).toEqual([
      'customers',
      'orders',
    ]);
  });

  it('keeps serving when the broker closes the connections, and applies events published meanwhile', async () => {
    const closed =
      (await closeConnectionsNamed(`bifrost-${broker.prefix}a`)) +
      (await closeConnectionsNamed(`bifrost-${broker.prefix}b`));
    expect(closed).toBe(2);
    // Published while the replicas are away: waits in the durable queue.
    await broker.publish(makeModuleEvent('module.removed', { name: 'orders' }));
    // Still serving meanwhile.
    const r = await a.gql('{ customers_getCustomer(id: 1) { id } }');
    expect(r.body.errors).toBeUndefined();
    await waitFor(
      'both replicas dropped orders',
      async () =>
        !(await serves(a, 'orders_listOrders')) && !(await serves(b, 'orders_listOrders')),
      10_000,
    );
    await waitFor(
      'both reconnected',
      () => a.events.brokerState() === 'connected' && b.events.brokerState() === 'connected',
    );
    const status = await a.admin('GET', '/status');
    expect(status.body.broker).toBe('connected');
    const ready = await fetch(`${a.url}/health/ready`).then((res) => res.json() as Promise<any>);
    expect(ready.checks).toContainEqual({ name: 'broker', ok: true, detail: 'connected' });
  });

  it('answers continuous queries with zero failures during ten hot swaps', async () => {
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const loop = async (gw: TestGateway) => {
      while (!stop) {
        try {
          const r = await gw.gql('{ customers_getCustomer(id: 3) { id name } }');
          if (r.status !== 200 || r.body.errors || r.body.data?.customers_getCustomer?.id !== 3)
            failures.push(JSON.stringify(r.body));
          else ok++;
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const loops = [loop(a), loop(b), loop(a), loop(b)];
    const versions = new Set<string>();
    try {
      for (let i = 0; i < 10; i++) {
        const adding = i % 2 === 0;
        await broker.publish(
          makeModuleEvent(
            adding ? 'module.added' : 'module.removed',
            adding ? { name: 'orders', endpoint: orders.url } : { name: 'orders' },
          ),
        );
        await waitFor(
          `swap ${i + 1} on both replicas`,
          async () =>
            (await serves(a, 'orders_listOrders')) === adding &&
            (await serves(b, 'orders_listOrders')) === adding,
        );
        versions.add(a.runtime.snapshot()!.version);
      }
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    expect(failures).toEqual([]);
    expect(versions.size).toBeGreaterThanOrEqual(2);
    expect(ok).toBeGreaterThan(20);
  });

  it('bifrost CLI publishes an event every replica applies, and exits non-zero on errors', async () => {
    const cli = fileURLToPath(new URL('../../bin/bifrost.js', import.meta.url));
    const run = (args: string[]) =>
      exec(process.execPath, [cli, ...args], {
        env: { ...process.env, AMQP_URL: broker.url },
      }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const added = await run([
      'modules',
      'add',
      'products',
      products.url,
      '--docs-path',
      '/docs',
      '--prefix',
      broker.prefix,
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('published module.added');
    await waitFor(
      'both replicas serve products',
      async () =>
        (await serves(a, 'products_listProducts')) && (await serves(b, 'products_listProducts')),
    );
    const bad = await run(['modules', 'add', 'admin', products.url, '--prefix', broker.prefix]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('reserved');
    const down = await run([
      'modules',
      'remove',
      'products',
      '--amqp-url',
      'amqp://guest:guest@127.0.0.1:1',
      '--timeout',
      '3000',
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('could not publish');
  });
});

describe('a replica whose broker is unreachable', () => {
  it('starts, serves, reports the broker state, and fails readiness only when told to', async () => {
    const env = { AMQP_URL: 'amqp://guest:guest@127.0.0.1:1', AMQP_RECONNECT_MAX_MS: '200' };
    const gw = await startTestGateway(env);
    const strict = await startTestGateway({ ...env, READY_REQUIRES_BROKER: 'true' }, {}, gw.db);
    try {
      expect(['connecting', 'disconnected']).toContain(gw.events.brokerState());
      const ready = await fetch(`${gw.url}/health/ready`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as any;
      expect(body.checks).toContainEqual({ name: 'broker', ok: true, detail: 'connecting' });
      expect((await gw.gql('{ _gateway { version } }')).body.errors).toBeUndefined();
      expect((await gw.admin('GET', '/status')).body.broker).toBe('connecting');
      expect((await fetch(`${strict.url}/health/ready`)).status).toBe(503);
    } finally {
      await strict.close();
      await gw.close();
    }
  });
});
