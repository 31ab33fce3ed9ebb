import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  describeBreakingChanges,
  findBreakingChanges,
  type JoinUsage,
} from '../../src/runtime/spec-compat.js';

const customersV1 = buildSchema(`
  type Query {
    customers_getCustomer(id: Int!): Customers_Customer
    customers_listCustomers(ids: [Int]): [Customers_Customer]
    customers_ping: String
  }
  type Customers_Customer { id: Int! name: String email: String }
`);

const ordersV1 = buildSchema(`
  type Query { orders_listOrders(customerId: Int): [Orders_Order] }
  type Orders_Order { id: Int! customerId: Int total: Float }
`);

const join: JoinUsage = {
  name: 'orderCustomer',
  sourceType: 'Orders_Order',
  sourceKeyFields: ['customerId'],
  targetOperation: 'customers_getCustomer',
  targetArgument: 'id',
  batchOperation: 'customers_listCustomers',
  batchArgument: 'ids',
  targetKeyField: 'id',
  reverseOperation: 'orders_listOrders',
  reverseArgument: 'customerId',
};

describe('spec-change safety (findBreakingChanges)', () => {
  it('finds nothing when the new version only adds things or changes what no join uses', () => {
    const v2 = buildSchema(`
      type Query {
        customers_getCustomer(id: Int, verbose: Boolean): Customers_Customer!
        customers_listCustomers(ids: [Int!]!): [Customers_Customer!]!
        customers_search(q: String): [Customers_Customer]
      }
      type Customers_Customer { id: Int name: String phone: String }
    `);
    // Nullability changes and a removed unused operation/field are compatible.
    expect(findBreakingChanges(customersV1, v2, [join])).toEqual([]);
  });

  it('reports a removed target operation and a removed batch argument', () => {
    const v2 = buildSchema(`
      type Query { customers_listCustomers(idList: [Int]): [Customers_Customer] }
      type Customers_Customer { id: Int! name: String }
    `);
    const changes = findBreakingChanges(customersV1, v2, [join]);
    expect(changes).toEqual([
      {
        join: 'orderCustomer',
        kind: 'operation',
        path: 'customers_getCustomer',
        change: 'removed',
        before: 'Customers_Customer',
        after: null,
      },
      {
        join: 'orderCustomer',
        kind: 'argument',
        path: 'customers_listCustomers(ids)',
        change: 'removed',
        before: '[Int]',
        after: null,
      },
    ]);
    expect(describeBreakingChanges(changes)).toContain(
      "operation customers_getCustomer removed (used by join 'orderCustomer')",
    );
  });

  it('reports a re-typed argument and a re-typed target key field', () => {
    const v2 = buildSchema(`
      type Query {
        customers_getCustomer(id: String!): Customers_Customer
        customers_listCustomers(ids: [Int]): [Customers_Customer]
      }
      type Customers_Customer { id: String! name: String }
    `);
    const changes = findBreakingChanges(customersV1, v2, [join]);
    expect(changes.map((c) => [c.path, c.change, c.before, c.after])).toEqual([
      ['customers_getCustomer(id)', 'type changed', 'Int', 'String'],
      ['Customers_Customer.id', 'type changed', 'Int', 'String'],
    ]);
  });

  it('checks the source side: the source type, its key fields and the reverse operation', () => {
    const noKey = buildSchema(`
      type Query { orders_listOrders(customer: Int): [Orders_Order] }
      type Orders_Order { id: Int! total: Float }
    `);
    expect(
      findBreakingChanges(ordersV1, noKey, [join]).map((c) => `${c.kind} ${c.path} ${c.change}`),
    ).toEqual([
      'field Orders_Order.customerId removed',
      'argument orders_listOrders(customerId) removed',
    ]);
    const renamedType = buildSchema(`
      type Query { orders_listOrders(customerId: Int): [Orders_Purchase] }
      type Orders_Purchase { id: Int! customerId: Int }
    `);
    expect(
      findBreakingChanges(ordersV1, renamedType, [join]).map(
        (c) => `${c.kind} ${c.path} ${c.change}`,
      ),
    ).toEqual(['type Orders_Order removed', 'operation orders_listOrders type changed']);
  });

  it('ignores joins that do not touch this module, and an unchanged schema', () => {
    const other: JoinUsage = {
      ...join,
      name: 'x',
      sourceType: 'Products_Product',
      targetOperation: 'products_get',
      batchOperation: null,
      reverseOperation: null,
    };
    const empty = buildSchema('type Query { customers_ping: String }');
    expect(findBreakingChanges(customersV1, empty, [other])).toEqual([]);
    expect(findBreakingChanges(customersV1, customersV1, [join])).toEqual([]);
    expect(findBreakingChanges(customersV1, empty, [])).toEqual([]);
  });
});
