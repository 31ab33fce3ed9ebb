import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleModule, type ExampleModule } from '../../examples/modules.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createTestDatabase } from '../helpers/postgres.js';

describe('registry database outage', () => {
  let gw: TestGateway;
  let customers: ExampleModule;

  beforeAll(async () => {
    customers = await startExampleModule('customers');
    const db = await createTestDatabase();
    gw = await startTestGateway({}, {}, db);
    expect(
      (await gw.admin('POST', '/modules', { name: 'customers', endpoint: customers.url })).status,
    ).toBe(201);
    // The database disappears under the running gateway (connections killed, then dropped).
    await db.drop();
  });
  afterAll(async () => {
    await gw?.close().catch(() => {});
    await customers?.close();
  });

  it('keeps serving the last schema and answers admin calls with 503 REGISTRY_UNAVAILABLE', async () => {
    const q = await gw.gql('{ customers_getCustomer(id: 4) { id name } }');
    expect(q.status).toBe(200);
    expect(q.body.data.customers_getCustomer.id).toBe(4);
    const rest = await gw.call('/customers/customers/4');
    expect(rest.status).toBe(200);

    const admin = await gw.admin('GET', '/modules');
    expect(admin.status).toBe(503);
    expect(admin.body.error.code).toBe('REGISTRY_UNAVAILABLE');

    // A rebuild attempt fails, is reported, and the served schema stays.
    const before = gw.runtime.snapshot()!.version;
    await gw.runtime.requestRebuild('test');
    expect(gw.runtime.lastRebuild?.error).toBeTruthy();
    expect(gw.runtime.snapshot()!.version).toBe(before);
    const status = await gw.admin('GET', '/status');
    expect(status.status).toBe(200);
    expect(status.body.database).toBe('unreachable');
    expect(status.body.lastRebuild.error).toBeTruthy();
    expect((await fetch(`${gw.url}/health/ready`)).status).toBe(200);
  });
});
