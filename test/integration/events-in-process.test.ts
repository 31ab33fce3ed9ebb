/**
 * Without AMQP_URL the in-process bus takes the broker's place: same consumer, same
 * `schema.changed` notices between replicas that share it (and a database).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleModule, type ExampleModule } from '../../examples/modules.js';
import { InProcessBroker } from '../../src/events/in-process-event-bus.js';
import { makeModuleEvent } from '../../src/events/module-events.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const serves = async (gw: TestGateway, field: string) => {
  const r = await gw.gql('{ __schema { queryType { fields { name } } } }');
  return (r.body.data?.__schema.queryType.fields ?? []).some(
    (f: { name: string }) => f.name === field,
  );
};

describe('in-process event bus (no AMQP_URL)', () => {
  let db: TestDatabase;
  let a: TestGateway;
  let b: TestGateway;
  let customers: ExampleModule;
  let orders: ExampleModule;
  const broker = new InProcessBroker();

  beforeAll(async () => {
    db = await createTestDatabase();
    customers = await startExampleModule('customers');
    orders = await startExampleModule('orders');
    a = await startTestGateway({ REPLICA_ID: 'a' }, { inProcessBroker: broker }, db);
    b = await startTestGateway({ REPLICA_ID: 'b' }, { inProcessBroker: broker }, db);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await customers?.close();
    await orders?.close();
    await db?.drop();
  });

  it('reports the in-process bus as the broker', async () => {
    const status = await a.admin('GET', '/status');
    expect(status.body.broker).toBe('in-process');
    const ready = (await (await fetch(`${a.url}/health/ready`)).json()) as any;
    expect(ready.checks).toContainEqual({ name: 'broker', ok: true, detail: 'in-process' });
  });

  it('an admin change on one replica makes the other rebuild', async () => {
    const before = b.runtime.rebuildCount;
    const r = await a.admin('POST', '/modules', { name: 'customers', endpoint: customers.url });
    expect(r.status).toBe(201);
    await waitFor('replica b serves customers', () => serves(b, 'customers_getCustomer'));
    expect(b.runtime.rebuildCount).toBeGreaterThan(before);
    expect(b.runtime.lastRebuild?.reason).toMatch(/^schema\.changed from a: module added/);
    const removed = await b.admin('DELETE', '/modules/customers');
    expect(removed.status).toBe(204);
    await waitFor(
      'replica a dropped customers',
      async () => !(await serves(a, 'customers_getCustomer')),
    );
  });

  it('applies module events through the same consumer, and keeps unappliable ones as dead letters', async () => {
    await a.events.publishModuleEvent(
      makeModuleEvent('module.added', { name: 'orders', endpoint: orders.url }),
    );
    await waitFor(
      'both serve orders',
      async () => (await serves(a, 'orders_listOrders')) && (await serves(b, 'orders_listOrders')),
    );
    expect((await a.registry.listModules()).filter((m) => m.name === 'orders')).toHaveLength(1);
    await broker.deliver(Buffer.from('not json'), 'module.added');
    expect(broker.deadLetters.at(-1)?.reason).toMatch(/^invalid JSON/);
  });

  it('keeps a removal as a tombstone: an older add arriving late does not bring the module back', async () => {
    const t = Date.now();
    await a.events.publishModuleEvent(
      makeModuleEvent(
        'module.added',
        { name: 'late', endpoint: orders.url },
        { timestamp: new Date(t) },
      ),
    );
    await waitFor('late added', async () => (await a.registry.getModule('late')) !== null);
    await a.events.publishModuleEvent(
      makeModuleEvent('module.removed', { name: 'late' }, { timestamp: new Date(t + 2_000) }),
    );
    await waitFor('late removed', async () => (await a.registry.getModule('late')) === null);
    // Published before the removal, delivered after it.
    await a.events.publishModuleEvent(
      makeModuleEvent(
        'module.added',
        { name: 'late', endpoint: orders.url },
        { timestamp: new Date(t + 1_000) },
      ),
    );
    await a.events.idle();
    expect(await a.registry.getModule('late')).toBeNull();
    // A newer add is applied.
    await a.events.publishModuleEvent(
      makeModuleEvent(
        'module.added',
        { name: 'late', endpoint: orders.url },
        { timestamp: new Date(t + 3_000) },
      ),
    );
    await waitFor('late added again', async () => (await a.registry.getModule('late')) !== null);
  });
});
