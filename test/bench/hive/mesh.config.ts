/**
 * GraphQL Mesh Compose configuration of the Hive Gateway peer: the same example modules, loaded
 * from their OpenAPI / Swagger documents at `/docs`, and the same joins as BiFrost's example joins
 * (`Order.customer`, `Order.product`), batched through the modules' `ids` operations with
 * `@resolveTo(keysArg: ...)`. Module URLs come from the environment (set by the benchmark):
 *
 *   CUSTOMERS_URL=... ORDERS_URL=... PRODUCTS_URL=... npx mesh-compose \
 *     -c test/bench/hive/mesh.config.ts -o supergraph.graphql
 *   npx hive-gateway supergraph supergraph.graphql --port 4000
 */
import { defineConfig } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v.replace(/\/+$/, '');
}

/** A module's origin plus the base path of its API (Swagger `basePath` / OpenAPI `servers`). */
const modules = {
  customers: { origin: env('CUSTOMERS_URL'), basePath: '/api' },
  orders: { origin: env('ORDERS_URL'), basePath: '/v1' },
  products: { origin: env('PRODUCTS_URL'), basePath: '' },
};

export const composeConfig = defineConfig({
  subgraphs: Object.entries(modules).map(([name, m]) => ({
    sourceHandler: loadOpenAPISubgraph(name, {
      source: `${m.origin}/docs`,
      endpoint: `${m.origin}${m.basePath}`,
    }),
  })),
  additionalTypeDefs: /* GraphQL */ `
    extend type Order {
      customer: Customer
        @resolveTo(
          sourceName: "customers"
          sourceTypeName: "Query"
          sourceFieldName: "listCustomers"
          keyField: "customerId"
          keysArg: "ids"
          requiredSelectionSet: "{ customerId }"
        )
      product: Product
        @resolveTo(
          sourceName: "products"
          sourceTypeName: "Query"
          sourceFieldName: "listProducts"
          keyField: "productId"
          keysArg: "ids"
          requiredSelectionSet: "{ productId }"
        )
    }
  `,
});
