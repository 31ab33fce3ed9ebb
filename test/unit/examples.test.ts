import { readFile } from 'node:fs/promises';

import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

import { makeExampleData } from '../../examples/data.js';
import {
  EXAMPLE_MODULE_KINDS,
  exampleSpecFile,
  startExampleModule,
} from '../../examples/modules.js';
import type { ExampleModule, ExampleModuleKind } from '../../examples/modules.js';

const started: ExampleModule[] = [];

async function start(kind: ExampleModuleKind, data = makeExampleData()): Promise<ExampleModule> {
  const module = await startExampleModule(kind, { data });
  started.push(module);
  return module;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((module) => module.close()));
});

async function getJson(url: string): Promise<{ status: number; type: string | null; body: any }> {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: await response.json(),
  };
}

describe('makeExampleData', () => {
  it('makes related records with the default counts', () => {
    const data = makeExampleData();
    expect(data.customers).toHaveLength(20);
    expect(data.products).toHaveLength(10);
    expect(data.orders).toHaveLength(100);
    expect(data.documents).toHaveLength(40);

    const customerIds = new Set(data.customers.map((customer) => customer.id));
    const productIds = new Set(data.products.map((product) => product.id));
    for (const order of data.orders) {
      expect(customerIds.has(order.customerId)).toBe(true);
      expect(productIds.has(order.productId)).toBe(true);
    }
    for (const document of data.documents) expect(customerIds.has(document.customerId)).toBe(true);
    // The join benchmark's shape: 100 orders reference all 20 customers.
    expect(new Set(data.orders.map((order) => order.customerId)).size).toBe(20);
  });

  it('is deterministic and honours counts', () => {
    expect(makeExampleData()).toEqual(makeExampleData());
    expect(makeExampleData({ seed: 1 })).not.toEqual(makeExampleData({ seed: 2 }));
    const small = makeExampleData({ customers: 3, products: 2, orders: 7, documents: 0 });
    expect(small.orders.every((order) => order.customerId >= 1 && order.customerId <= 3)).toBe(
      true,
    );
    expect(small.documents).toEqual([]);
    expect(() => makeExampleData({ customers: 0 })).toThrow(RangeError);
  });

  it('prices orders from their product', () => {
    const data = makeExampleData();
    for (const order of data.orders) {
      const product = data.products.find((item) => item.id === order.productId)!;
      expect(order.total).toBeCloseTo(order.quantity * product.price, 2);
    }
  });
});

describe('example modules', () => {
  it('serve their spec file at /docs, byte for byte', async () => {
    for (const kind of EXAMPLE_MODULE_KINDS) {
      const module = await start(kind);
      const response = await fetch(module.specUrl);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toBe(await readFile(exampleSpecFile(kind), 'utf8'));
      const spec = kind === 'products' ? parseYaml(text) : JSON.parse(text);
      if (kind === 'customers') {
        expect(spec.swagger).toBe('2.0');
        expect(spec.basePath).toBe('/api');
      } else {
        expect(spec.openapi).toMatch(/^3\.0\./);
      }
      expect(response.headers.get('content-type')).toMatch(
        kind === 'products' ? /yaml/ : /application\/json/,
      );
    }
  });

  it('customers: list, batch by csv ids, get, 404 JSON', async () => {
    const data = makeExampleData();
    const customers = await start('customers', data);

    const all = await getJson(`${customers.endpoint}/customers`);
    expect(all.status).toBe(200);
    expect(all.type).toMatch(/^application\/json/);
    expect(all.body).toEqual(data.customers);

    const batch = await getJson(`${customers.endpoint}/customers?ids=3,1,999`);
    expect(batch.body.map((customer: { id: number }) => customer.id).sort()).toEqual([1, 3]);
    // Repeated keys (another common array encoding) work too.
    const repeated = await getJson(`${customers.endpoint}/customers?ids=2&ids=4`);
    expect(repeated.body.map((customer: { id: number }) => customer.id).sort()).toEqual([2, 4]);

    const one = await getJson(`${customers.endpoint}/customers/2`);
    expect(one.body).toEqual(data.customers[1]);

    const missing = await getJson(`${customers.endpoint}/customers/999`);
    expect(missing.status).toBe(404);
    expect(missing.type).toMatch(/^application\/json/);
    expect(missing.body).toMatchObject({ code: 'NOT_FOUND' });

    const badIds = await getJson(`${customers.endpoint}/customers?ids=1,x`);
    expect(badIds.status).toBe(400);
  });

  it('customers: POST gives 201 + Location, PUT/PATCH/DELETE change the record', async () => {
    const customers = await start('customers');
    const created = await fetch(`${customers.endpoint}/customers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'New One', email: 'new@example.com' }),
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: number; tier: string };
    expect(body).toMatchObject({ id: 21, tier: 'bronze' });
    expect(created.headers.get('location')).toBe('/api/customers/21');
    expect((await getJson(`${customers.url}${created.headers.get('location')}`)).status).toBe(200);

    const patched = await fetch(`${customers.endpoint}/customers/21`, {
      method: 'PATCH',
      body: JSON.stringify({ tier: 'gold' }),
    });
    expect(await patched.json()).toMatchObject({ id: 21, name: 'New One', tier: 'gold' });

    const replaced = await fetch(`${customers.endpoint}/customers/21`, {
      method: 'PUT',
      body: JSON.stringify({ name: 'Renamed', email: 'r@example.com', tier: 'silver' }),
    });
    expect(await replaced.json()).toEqual({
      id: 21,
      name: 'Renamed',
      email: 'r@example.com',
      tier: 'silver',
    });

    const invalid = await fetch(`${customers.endpoint}/customers`, {
      method: 'POST',
      body: JSON.stringify({ name: 'No email' }),
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ code: 'INVALID_BODY' });

    expect((await fetch(`${customers.endpoint}/customers/21`, { method: 'DELETE' })).status).toBe(
      204,
    );
    expect((await getJson(`${customers.endpoint}/customers/21`)).status).toBe(404);
  });

  it('orders: limit, customerId filter, POST with Location, DELETE', async () => {
    const data = makeExampleData();
    const orders = await start('orders', data);

    expect((await getJson(`${orders.endpoint}/orders`)).body).toHaveLength(100);
    expect((await getJson(`${orders.endpoint}/orders?limit=5`)).body).toEqual(
      data.orders.slice(0, 5),
    );
    const ofCustomer = await getJson(`${orders.endpoint}/orders?customerId=3`);
    expect(ofCustomer.body).toHaveLength(5);
    expect(ofCustomer.body.every((order: { customerId: number }) => order.customerId === 3)).toBe(
      true,
    );
    expect((await getJson(`${orders.endpoint}/orders/7`)).body).toEqual(data.orders[6]);
    expect((await getJson(`${orders.endpoint}/orders/7000`)).status).toBe(404);

    const product = data.products[0]!;
    const created = await fetch(`${orders.endpoint}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: 1, productId: product.id, quantity: 3 }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/v1/orders/101');
    expect(await created.json()).toMatchObject({
      id: 101,
      status: 'pending',
      total: Math.round(3 * product.price * 100) / 100,
    });
    expect((await fetch(`${orders.endpoint}/orders/101`, { method: 'DELETE' })).status).toBe(204);
  });

  it('products: batch by csv ids; documents: reverse-join batch by customerIds', async () => {
    const data = makeExampleData();
    const products = await start('products', data);
    const documents = await start('documents', data);

    const someProducts = await getJson(`${products.endpoint}/products?ids=2,5`);
    expect(someProducts.body).toEqual([data.products[1], data.products[4]]);
    expect((await getJson(`${products.endpoint}/products/11`)).status).toBe(404);

    const ofTwo = await getJson(`${documents.endpoint}/documents?customerIds=1,2`);
    expect(ofTwo.body).toEqual(
      data.documents.filter((document) => [1, 2].includes(document.customerId)),
    );
    expect(ofTwo.body).toHaveLength(4);
    const ofOne = await getJson(`${documents.endpoint}/documents?customerId=1`);
    expect(ofOne.body.map((document: { customerId: number }) => document.customerId)).toEqual([
      1, 1,
    ]);
    expect((await getJson(`${documents.endpoint}/documents/40`)).body).toEqual(data.documents[39]);
  });

  it('answer unknown paths with 404 JSON, wrong methods with 405, and HEAD/OPTIONS', async () => {
    const customers = await start('customers');
    const unknown = await getJson(`${customers.url}/nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.type).toMatch(/^application\/json/);
    expect(unknown.body).toMatchObject({ code: 'NOT_FOUND' });
    // The API lives under the base path only.
    expect((await getJson(`${customers.url}/customers`)).status).toBe(404);

    const head = await fetch(`${customers.endpoint}/customers/1`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await head.text()).toBe('');

    const options = await fetch(`${customers.endpoint}/customers/1`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')?.split(', ').sort()).toEqual(
      ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'PUT'].sort(),
    );

    const products = await start('products');
    const post = await fetch(`${products.endpoint}/products`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toContain('GET');
  });

  it('record every call, and resetCalls() empties the record', async () => {
    const customers = await start('customers');
    const calls = customers.calls;
    await fetch(`${customers.endpoint}/customers?ids=1,2`);
    await fetch(`${customers.endpoint}/customers/1`);
    await fetch(`${customers.url}/missing`);
    expect(calls).toEqual([
      { method: 'GET', path: '/api/customers', query: 'ids=1,2' },
      { method: 'GET', path: '/api/customers/1', query: '' },
      { method: 'GET', path: '/missing', query: '' },
    ]);
    customers.resetCalls();
    expect(customers.calls).toBe(calls);
    expect(calls).toEqual([]);
  });

  it('work on a copy of the data', async () => {
    const data = makeExampleData();
    const customers = await start('customers', data);
    await fetch(`${customers.endpoint}/customers/1`, { method: 'DELETE' });
    expect(data.customers).toHaveLength(20);
  });
});
