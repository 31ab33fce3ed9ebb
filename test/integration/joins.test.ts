import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_JOINS } from '../../examples/joins.js';
import { makeExampleData } from '../../examples/data.js';
import {
  startExampleModule,
  startExampleModules,
  type ExampleModule,
  type ExampleModuleKind,
} from '../../examples/modules.js';
import { adminToken, startTestGateway, userToken, type TestGateway } from '../helpers/gateway.js';

/** 50 orders over 10 customers (round-robin), 5 products, 20 documents (2 per customer). */
const data = makeExampleData({ customers: 10, products: 5, orders: 50, documents: 20 });
const _joinInput = (name: string) => structuredClone(EXAMPLE_JOINS.find((j) => j.name === name)!);

describe('data mesh: joins (real PostgreSQL, real HTTP modules)', () => {
  let gw: TestGateway;
  let mods: Record<ExampleModuleKind, ExampleModule>;
  const resetCalls = () => {
    for (const m of Object.values(mods)) m.resetCalls();
  };
  const apiCalls = (m: ExampleModule) => m.calls.filter((c) => c.path !== '/docs');

  beforeAll(async () => {
    mods = await startExampleModules({ data });
    gw = await startTestGateway();
    for (const m of Object.values(mods)) {
      const r = await gw.admin('POST', '/modules', { name: m.name, endpoint: m.url });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all(Object.values(mods ?? {}).map((m) => m.close().catch(() => {})));
  });

  it('suggests the order -> customer join, with evidence and a ready definition', async () => {
    const r = await gw.admin('GET', '/joins/suggestions');
    expect(r.status).toBe(200);
    const s = r.body.suggestions.find(
      (x: any) => x.sourceType === 'Orders_Order' && x.keyField === 'customerId',
    );
    expect(s, JSON.stringify(r.body)).toBeDefined();
    expect(s.targetType).toBe('Customers_Customer');
    expect(s.evidence.length).toBeGreaterThan(1);
    expect(s.definition).toMatchObject({
      sourceType: 'Orders_Order',
      fieldName: 'customer',
      sourceKeyFields: ['customerId'],
      targetOperation: 'customers_getCustomer',
      batchOperation: 'customers_listCustomers',
      batchArgument: 'ids',
      reverseFieldName: 'orders',
      reverseOperation: 'orders_listOrders',
    });
    // The suggestion can be POSTed as is.
    const created = await gw.admin('POST', '/joins', { ...s.definition, name: 'suggested' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const again = await gw.admin('GET', '/joins/suggestions');
    expect(
      again.body.suggestions.some(
        (x: any) => x.sourceType === 'Orders_Order' && x.keyField === 'customerId',
      ),
    ).toBe(false);
    expect((await gw.admin('DELETE', '/joins/suggested')).status).toBe(204);
  });

  it('refuses a definition that does not fit the schema, listing every reason', async () => {
    const r = await gw.admin('POST', '/joins', {
      name: 'broken',
      sourceType: 'Orders_Order',
      fieldName: 'customerId',
      sourceKeyFields: ['nope'],
      targetOperation: 'customers_nope',
      targetArgument: 'id',
      batchOperation: 'orders_getOrder',
      batchArgument: 'id',
      reverseFieldName: 'orders',
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('JOIN_INVALID');
    const fields = r.body.error.details.map((p: any) => p.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'fieldName',
        'sourceKeyFields',
        'targetOperation',
        'batchOperation',
        'batchArgument',
        'reverseOperation',
      ]),
    );
    const shape = await gw.admin('POST', '/joins', { name: '1bad', sourceType: 3 });
    expect(shape.status).toBe(400);
    expect(shape.body.error.code).toBe('VALIDATION_FAILED');
    // A key that cannot fit the argument's type.
    const types = await gw.admin('POST', '/joins', {
      name: 'typed',
      sourceType: 'Documents_Document',
      fieldName: 'x',
      sourceKeyFields: ['title'],
      targetOperation: 'customers_getCustomer',
    });
    expect(types.status).toBe(400);
    expect(types.body.error.message).toContain('the key is String');
    expect((await gw.admin('GET', '/joins/broken')).status).toBe(404);
  });

  it('creates the example joins at run time and resolves 50 orders (10 customers) with ONE batch call', async () => {
    for (const j of EXAMPLE_JOINS) {
      const r = await gw.admin('POST', '/joins', j);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.active).toBe(true);
    }
    const list = await gw.admin('GET', '/joins');
    expect(list.body.joins.map((j: any) => j.name).sort()).toEqual([
      'customer-documents',
      'order-customer',
      'order-product',
    ]);
    resetCalls();
    const r = await gw.gql(
      '{ orders_listOrders(limit: 50) { id customerId customer { id name } } }',
    );
    expect(r.body.errors).toBeUndefined();
    const orders = r.body.data.orders_listOrders;
    expect(orders).toHaveLength(50);
    expect(new Set(orders.map((o: any) => o.customerId)).size).toBe(10);
    for (const o of orders) expect(o.customer.id).toBe(o.customerId);
    expect(orders[3].customer.name).toBe(data.customers[3]!.name);
    expect(apiCalls(mods.orders)).toHaveLength(1);
    const calls = apiCalls(mods.customers);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.path).toBe('/api/customers');
    expect(decodeURIComponent(calls[0]!.query)).toMatch(/ids/);
  });

  it('without a batch operation, calls once per distinct key (10), never once per row (50)', async () => {
    const p = await gw.admin('PATCH', '/joins/order-customer', { batchOperation: null });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect(p.body.batchArgument).toBeNull();
    resetCalls();
    const r = await gw.gql(
      '{ orders_listOrders(limit: 50) { id customerId customer { id email } } }',
    );
    expect(r.body.errors).toBeUndefined();
    for (const o of r.body.data.orders_listOrders) expect(o.customer.id).toBe(o.customerId);
    const calls = apiCalls(mods.customers);
    expect(calls).toHaveLength(10);
    expect(new Set(calls.map((c) => c.path)).size).toBe(10);
    const back = await gw.admin('PATCH', '/joins/order-customer', {
      batchOperation: 'customers_listCustomers',
    });
    expect(back.status).toBe(200);
    expect(back.body.batchArgument).toBe('ids');
  });

  it('nests joins across three modules (orders -> customer -> documents, product), one call per module', async () => {
    resetCalls();
    const r = await gw.gql(`{
      orders_listOrders(limit: 20) { id customer { id documents { id customerId title } } product { id name } productId }
    }`);
    expect(r.body.errors).toBeUndefined();
    for (const o of r.body.data.orders_listOrders) {
      expect(o.product.id).toBe(o.productId);
      expect(o.customer.documents).toHaveLength(2);
      for (const d of o.customer.documents) expect(d.customerId).toBe(o.customer.id);
    }
    expect(apiCalls(mods.orders)).toHaveLength(1);
    expect(apiCalls(mods.customers)).toHaveLength(1);
    expect(apiCalls(mods.documents)).toHaveLength(1);
    expect(apiCalls(mods.products)).toHaveLength(1);
  });

  it('resolves joins on data from mutations and nulls (null key -> null / [])', async () => {
    const r = await gw.gql(
      `mutation { orders_createOrder(input: { customerId: 2, productId: 1, quantity: 1 }) { id customer { id name } } }`,
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.orders_createOrder.customer.id).toBe(2);
    const missing = await gw.gql('{ orders_getOrder(id: 99999) { id customer { id } } }');
    expect(missing.body.data.orders_getOrder).toBeNull();
  });

  it('answers reverse fields (Customers_Customer.orders)', async () => {
    resetCalls();
    const r = await gw.gql(
      '{ customers_listCustomers(ids: [1, 2, 3]) { id orders { id customerId customer { id } } } }',
    );
    expect(r.body.errors).toBeUndefined();
    for (const c of r.body.data.customers_listCustomers) {
      expect(c.orders.length).toBeGreaterThanOrEqual(5);
      for (const o of c.orders) {
        expect(o.customerId).toBe(c.id);
        expect(o.customer.id).toBe(c.id);
      }
    }
    expect(apiCalls(mods.orders)).toHaveLength(3);
  });

  it('embeds joins on REST reads with ?join (list and single), forwarding no join parameter', async () => {
    resetCalls();
    const res = await gw.call('/orders/orders?limit=4&join');
    expect(res.status).toBe(200);
    const list = (await res.json()) as any[];
    expect(list).toHaveLength(4);
    for (const o of list) {
      expect(o.customer.id).toBe(o.customerId);
      expect(o.product.id).toBe(o.productId);
    }
    expect(apiCalls(mods.orders)[0]!.query).toBe('limit=4');
    expect(apiCalls(mods.customers)).toHaveLength(1);
    const one = await gw.call('/customers/customers/3?join=true');
    expect(one.status).toBe(200);
    const c = (await one.json()) as any;
    expect(c.id).toBe(3);
    expect(c.documents.map((d: any) => d.customerId)).toEqual([3, 3]);
    expect(c.orders.every((o: any) => o.customerId === 3)).toBe(true);
    const nf = await gw.call('/customers/customers/4242?join');
    expect(nf.status).toBe(404);
    // Without ?join the answer is the module's, untouched.
    const plain = (await (await gw.call('/customers/customers/3')).json()) as any;
    expect(plain.documents).toBeUndefined();
  });

  it('record joins: links per organization, one SQL query per level, invisible to other organizations', async () => {
    const create = await gw.admin('POST', '/joins', {
      name: 'favorites',
      kind: 'record',
      sourceType: 'Customers_Customer',
      fieldName: 'favoriteProducts',
      targetOperation: 'products_getProduct',
      batchOperation: 'products_listProducts',
      reverseFieldName: 'fans',
      reverseOperation: 'customers_getCustomer',
    });
    expect(create.status, JSON.stringify(create.body)).toBe(201);
    expect(create.body).toMatchObject({
      sourceKeyFields: ['id'],
      targetArgument: 'id',
      batchArgument: 'ids',
      reverseArgument: 'id',
      many: true,
    });
    const acme = await gw.admin('POST', '/joins/favorites/records', [
      { sourceId: 1, targetId: 2 },
      { sourceId: 1, targetId: 3 },
      { sourceId: 2, targetId: 3 },
    ]);
    expect(acme.status, JSON.stringify(acme.body)).toBe(201);
    expect(acme.body).toMatchObject({ organization: 'acme', added: 3 });
    const globex = await gw.call('/admin/joins/favorites/records', {
      method: 'POST',
      token: adminToken({ org: 'globex' }),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sourceId: '1', targetId: '5' }),
    });
    expect(globex.status).toBe(201);
    const noOrg = await gw.call('/admin/joins/favorites/records', {
      method: 'POST',
      token: adminToken({ org: undefined }),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sourceId: '1', targetId: '4' }),
    });
    expect(noOrg.status).toBe(400);

    let sqlQueries = 0;
    const registry = gw.registry;
    const original = registry.listJoinRecords.bind(registry);
    registry.listJoinRecords = (...args) => {
      sqlQueries++;
      return original(...args);
    };
    try {
      resetCalls();
      const q =
        '{ customers_listCustomers(ids: [1, 2, 3]) { id favoriteProducts { id fans { id } } } }';
      const a = await gw.gql(q, undefined, userToken({ org: 'acme' }));
      expect(a.body.errors).toBeUndefined();
      const [c1, c2, c3] = a.body.data.customers_listCustomers;
      expect(c1.favoriteProducts.map((p: any) => p.id).sort()).toEqual([2, 3]);
      expect(c2.favoriteProducts.map((p: any) => p.id)).toEqual([3]);
      expect(c3.favoriteProducts).toEqual([]);
      const product3 = c1.favoriteProducts.find((p: any) => p.id === 3);
      expect(product3.fans.map((f: any) => f.id).sort()).toEqual([1, 2]);
      expect(sqlQueries).toBe(2); // one per level: customers -> products, products -> fans
      expect(apiCalls(mods.products)).toHaveLength(1); // one batch for both customers' favorites

      const g = await gw.gql(q, undefined, userToken({ org: 'globex' }));
      expect(g.body.data.customers_listCustomers[0].favoriteProducts.map((p: any) => p.id)).toEqual(
        [5],
      );
      expect(g.body.data.customers_listCustomers[1].favoriteProducts).toEqual([]);
    } finally {
      registry.listJoinRecords = original;
    }

    const listed = await gw.admin('GET', '/joins/favorites/records?sourceId=1&limit=10');
    expect(listed.body.records.map((r: any) => [r.sourceId, r.targetId])).toEqual([
      ['1', '2'],
      ['1', '3'],
    ]);
    const other = await gw.call('/admin/joins/favorites/records', {
      token: adminToken({ org: 'globex' }),
    });
    expect(((await other.json()) as any).records.map((r: any) => r.targetId)).toEqual(['5']);
    const del = await gw.admin('DELETE', '/joins/favorites/records', {
      records: [
        { sourceId: '1', targetId: '2' },
        { sourceId: '1', targetId: '5' },
      ],
    });
    expect(del.body.deleted).toBe(1); // globex's 1->5 is not acme's to delete
    const after = await gw.admin('GET', '/joins/favorites/records');
    expect(after.body.records).toHaveLength(2);
  });

  it('deleting a join removes its field without a restart', async () => {
    await gw.admin('POST', '/joins', {
      name: 'tmp',
      sourceType: 'Documents_Document',
      fieldName: 'owner',
      sourceKeyFields: ['customerId'],
      targetOperation: 'customers_getCustomer',
    });
    expect(
      (await gw.gql('{ documents_getDocument(id: 1) { owner { id } } }')).body.data
        .documents_getDocument.owner.id,
    ).toBe(1);
    expect((await gw.admin('DELETE', '/joins/tmp')).status).toBe(204);
    const r = await gw.gql('{ documents_getDocument(id: 1) { owner { id } } }');
    expect(r.status).toBe(400);
  });

  it('a target module that is down gives partial data and JOIN_FAILED with the path', async () => {
    await mods.products.close();
    try {
      const r = await gw.gql(
        '{ orders_listOrders(limit: 3) { id customer { id } product { id } } }',
      );
      expect(r.status).toBe(200);
      const orders = r.body.data.orders_listOrders;
      expect(orders).toHaveLength(3);
      for (const o of orders) {
        expect(o.customer.id).toBeGreaterThan(0);
        expect(o.product).toBeNull();
      }
      expect(r.body.errors).toHaveLength(3);
      expect(r.body.errors[0].path).toEqual(['orders_listOrders', 0, 'product']);
      expect(r.body.errors[0].extensions.code).toBe('JOIN_FAILED');
      expect(r.body.errors[0].extensions.cause.code).toBe('MODULE_UNREACHABLE');
      // The REST ?join read still answers, with the failed join null.
      const rest = await gw.call('/orders/orders?limit=2&join');
      expect(rest.status).toBe(200);
      const list = (await rest.json()) as any[];
      expect(list[0].customer.id).toBe(list[0].customerId);
      expect(list[0].product).toBeNull();
    } finally {
      mods.products = await startExampleModule('products', {
        data,
        port: mods.products.port,
      }).catch(() => mods.products);
    }
  });
});
