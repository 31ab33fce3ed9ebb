/**
 * Module naming rules. A module name is its REST prefix; its GraphQL namespace is derived from it.
 *
 * Naming scheme (applied to every module, documented in the README):
 * - root fields:  `<namespace>_<operationField>`   e.g. `customers_getCustomer`
 * - types:        `<Namespace>_<TypeName>`         e.g. `Customers_Customer`
 * where `namespace` is the module name with `-` replaced by `_`, and `Namespace` its first letter
 * upper-cased.
 */

/** Names a module can never take: they are the gateway's own routes (exact match). */
export const RESERVED_MODULE_NAMES: ReadonlySet<string> = new Set([
  'admin',
  'graphql',
  'graphiql',
  'health',
  'metrics',
  'docs',
  'static',
  'assets',
  'favicon.ico',
  'datamesh',
  'api',
  'auth',
  'login',
  'logout',
  'ready',
  'live',
  'status',
  'query',
  'mutation',
  'subscription',
]);

export const MODULE_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

/** Returns a readable reason why `name` cannot be a module name, or null when it can. */
export function moduleNameProblem(name: string): string | null {
  if (!MODULE_NAME_PATTERN.test(name)) {
    return `name must match ${MODULE_NAME_PATTERN.source} (lower-case letters, digits, '-' and '_', starting with a letter, at most 63 characters)`;
  }
  if (RESERVED_MODULE_NAMES.has(name)) {
    return `name '${name}' is reserved by the gateway`;
  }
  if (name.startsWith('__')) return `name '${name}' is reserved by GraphQL`;
  return null;
}

/** GraphQL namespace of a module: `order-service` -> `order_service`. */
export function graphqlNamespace(moduleName: string): string {
  return moduleName.replace(/-/g, '_');
}

/** Prefix for a module's types: `order-service` -> `Order_service`. */
export function typePrefix(moduleName: string): string {
  const ns = graphqlNamespace(moduleName);
  return ns.charAt(0).toUpperCase() + ns.slice(1);
}

export function prefixedFieldName(moduleName: string, field: string): string {
  return `${graphqlNamespace(moduleName)}_${field}`;
}

export function prefixedTypeName(moduleName: string, type: string): string {
  return `${typePrefix(moduleName)}_${type}`;
}
