/**
 * Join definitions seeded when the bundled examples run (`startGateway` creates the missing ones
 * after the first schema build). The same definitions can be POSTed to `/admin/joins`.
 */
import type { JoinInput } from '../src/composition/join-definition.js';

export const EXAMPLE_JOINS: JoinInput[] = [
  {
    // Orders_Order.customer: one customer per order; 100 orders cost one batch call.
    name: 'order-customer',
    kind: 'field',
    sourceType: 'Orders_Order',
    fieldName: 'customer',
    sourceKeyFields: ['customerId'],
    targetOperation: 'customers_getCustomer',
    targetArgument: 'id',
    batchOperation: 'customers_listCustomers',
    batchArgument: 'ids',
    targetKeyField: 'id',
    // Customers_Customer.orders: the reverse direction, one call per customer.
    reverseFieldName: 'orders',
    reverseOperation: 'orders_listOrders',
    reverseArgument: 'customerId',
    description: 'The customer who placed the order.',
  },
  {
    name: 'order-product',
    kind: 'field',
    sourceType: 'Orders_Order',
    fieldName: 'product',
    sourceKeyFields: ['productId'],
    targetOperation: 'products_getProduct',
    targetArgument: 'id',
    batchOperation: 'products_listProducts',
    batchArgument: 'ids',
    description: 'The product ordered.',
  },
  {
    // Many: every document whose customerId is the customer's id (targetKeyField is the match field).
    name: 'customer-documents',
    kind: 'field',
    sourceType: 'Customers_Customer',
    fieldName: 'documents',
    sourceKeyFields: ['id'],
    many: true,
    targetOperation: 'documents_listDocuments',
    targetArgument: 'customerId',
    batchOperation: 'documents_listDocuments',
    batchArgument: 'customerIds',
    targetKeyField: 'customerId',
    description: "The customer's documents.",
  },
];
