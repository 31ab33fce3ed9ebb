import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { analyzeJoin, completeJoin, scalarsFit } from '../../src/composition/join-definition.js';
import { suggestJoins } from '../../src/composition/join-suggestions.js';
import type { JoinDefinition } from '../../src/core/types.js';

const schema = buildSchema(`
  type Query {
    orders_listOrders(limit: Int, customerId: Int): [Orders_Order]
    orders_getOrder(id: Int!): Orders_Order
    customers_getCustomer(id: Int!): Customers_Customer
    customers_listCustomers(ids: [Int]): [Customers_Customer]
    customers_search(q: String!, page: Int!): [Customers_Customer]
    documents_listDocuments(customerId: Int, customerIds: [Int]): [Documents_Document]
  }
  type Mutation { customers_deleteCustomer(id: Int!): Boolean }
  type Orders_Order { id: Int! customerId: Int! note: String tags: [String] }
  type Customers_Customer { id: Int! name: String! }
  type Documents_Document { id: Int! customerId: Int! title: String }
`);

const orderCustomer = completeJoin(
  {
    name: 'order-customer',
    sourceType: 'Orders_Order',
    fieldName: 'customer',
    sourceKeyFields: ['customerId'],
    targetOperation: 'customers_getCustomer',
    batchOperation: 'customers_listCustomers',
    reverseFieldName: 'orders',
    reverseOperation: 'orders_listOrders',
    reverseArgument: 'customerId',
  },
  schema,
);

describe('join definitions', () => {
  it('fills defaults from the schema: field name, the only argument, the only list argument, id', () => {
    expect(orderCustomer).toMatchObject({
      kind: 'field',
      targetArgument: 'id',
      batchArgument: 'ids',
      targetKeyField: 'id',
      many: false,
      description: null,
    });
    const record = completeJoin(
      {
        name: 'fav',
        kind: 'record',
        sourceType: 'Orders_Order',
        targetOperation: 'customers_getCustomer',
      },
      schema,
    );
    expect(record).toMatchObject({
      fieldName: 'fav',
      sourceKeyFields: ['id'],
      many: true,
      batchOperation: null,
      batchArgument: null,
    });
  });

  it('accepts a fitting join and gives its types and reverse cardinality', () => {
    const { problems, join } = analyzeJoin(orderCustomer, schema);
    expect(problems).toEqual([]);
    expect(join?.targetType.name).toBe('Customers_Customer');
    expect(join?.reverseMany).toBe(true);
  });

  it('accepts a many join matched by a field other than id', () => {
    const docs = completeJoin(
      {
        name: 'docs',
        sourceType: 'Customers_Customer',
        fieldName: 'documents',
        sourceKeyFields: ['id'],
        many: true,
        targetOperation: 'documents_listDocuments',
        targetArgument: 'customerId',
        batchOperation: 'documents_listDocuments',
        batchArgument: 'customerIds',
        targetKeyField: 'customerId',
      },
      schema,
    );
    expect(analyzeJoin(docs, schema).problems).toEqual([]);
    // The same operation cannot serve a one-to-one join: it returns a list.
    expect(analyzeJoin({ ...docs, many: false }, schema).problems.map((p) => p.field)).toContain(
      'targetOperation',
    );
  });

  it('lists every problem at once', () => {
    const bad = completeJoin(
      {
        name: 'bad',
        sourceType: 'Orders_Order',
        fieldName: 'note',
        sourceKeyFields: ['tags'],
        targetOperation: 'customers_search',
        batchOperation: 'customers_getCustomer',
        batchArgument: 'id',
        reverseFieldName: 'name',
        reverseOperation: 'documents_listDocuments',
      },
      schema,
    );
    const fields = analyzeJoin(bad, schema).problems.map((p) => p.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'fieldName',
        'sourceKeyFields',
        'targetOperation',
        'targetArgument',
        'batchOperation',
        'batchArgument',
        'reverseFieldName',
        'reverseOperation',
      ]),
    );
  });

  it('refuses mutations as targets, and field names another join already adds', () => {
    const m = analyzeJoin(
      {
        ...orderCustomer,
        targetOperation: 'customers_deleteCustomer',
        batchOperation: null,
        batchArgument: null,
      },
      schema,
    );
    expect(m.problems.some((p) => /mutation/.test(p.message))).toBe(true);
    const clash = analyzeJoin({ ...orderCustomer, name: 'other' }, schema, [
      { def: orderCustomer, targetType: 'Customers_Customer' },
    ]);
    expect(clash.problems.map((p) => p.field)).toEqual(['fieldName', 'reverseFieldName']);
  });

  it('matches key and argument scalars: numbers may become text, text may not become numbers', () => {
    expect(scalarsFit('Int', 'Int')).toBe(true);
    expect(scalarsFit('Int', 'String')).toBe(true);
    expect(scalarsFit('Int', 'ID')).toBe(true);
    expect(scalarsFit('String', 'Int')).toBe(false);
    expect(scalarsFit('Boolean', 'Int')).toBe(false);
    expect(scalarsFit('Int', 'NonNegativeInt')).toBe(true);
  });
});

describe('join suggestions', () => {
  it('proposes Orders_Order.customer with batch and reverse, and skips existing joins', () => {
    const [s, ...rest] = suggestJoins(schema, []).filter((x) => x.sourceType === 'Orders_Order');
    expect(rest).toEqual([]);
    expect(s?.definition).toMatchObject({
      name: 'order-customer',
      fieldName: 'customer',
      targetOperation: 'customers_getCustomer',
      batchOperation: 'customers_listCustomers',
      batchArgument: 'ids',
      reverseFieldName: 'orders',
      reverseOperation: 'orders_listOrders',
      reverseArgument: 'customerId',
    });
    expect(s?.evidence.join('\n')).toMatch(/customers_listCustomers/);
    const existing = {
      ...orderCustomer,
      id: 'x',
      createdAt: new Date(),
      updatedAt: new Date(),
    } as JoinDefinition;
    expect(suggestJoins(schema, [existing]).some((x) => x.sourceType === 'Orders_Order')).toBe(
      false,
    );
  });
});
