import { GraphQLScalarType, Kind, isSpecifiedScalarType, type GraphQLNamedType } from 'graphql';
import { resolvers as graphqlScalars } from 'graphql-scalars';

/**
 * Scalars that are not module-specific: every subgraph uses THE instance of this map for a scalar
 * of that name, so subgraphs can be merged into one GraphQLSchema without "Schema must contain
 * uniquely named types" errors.
 *
 * The set is what GraphQL Mesh's OpenAPI engine produces: every `graphql-scalars` scalar (JSON,
 * BigInt, DateTime, Date, Time, UUID, URL, EmailAddress, Void, PositiveInt, ... omnigraph's
 * executable schema already runs `graphql-scalars`' logic for these names), `ObjMap`, `File`, and
 * the JSON-Schema string formats omnigraph names itself (`Hostname`, `Regex`, ...).
 *
 * Scalars omnigraph derives from a module's own constraints (`pattern`, `minLength`, ... carried
 * by `@regexp` / `@length`) are module-specific and get the module prefix instead.
 */
function stringFormatScalar(name: string, format: string): GraphQLScalarType {
  const coerce = (value: unknown): string => {
    if (typeof value !== 'string')
      throw new TypeError(`${name} expects a string in ${format} format`);
    return value;
  };
  return new GraphQLScalarType({
    name,
    description: `Represents ${format} values`,
    serialize: coerce,
    parseValue: coerce,
    parseLiteral(ast) {
      if (ast.kind === Kind.STRING) return ast.value;
      throw new TypeError(`${name} expects a string in ${format} format`);
    },
    extensions: { codegenScalarType: 'string' },
  });
}

/** Same behaviour as `@graphql-mesh/transport-common`'s `ObjMap`. */
export const GraphQLObjMap = new GraphQLScalarType({
  name: 'ObjMap',
  serialize: (value) => (typeof value === 'string' ? value : JSON.stringify(value)),
  parseValue: (value) => {
    if (value == null) return null;
    if (typeof value === 'object') return value;
    try {
      return JSON.parse(String(value));
    } catch {
      return value;
    }
  },
  parseLiteral: (ast) => {
    if (ast.kind === Kind.STRING) {
      try {
        return JSON.parse(ast.value);
      } catch {
        return ast.value;
      }
    }
    return null;
  },
});

/** Same as `@omnigraph/json-schema`'s `File` (binary bodies). */
export const GraphQLFile = new GraphQLScalarType({
  name: 'File',
  description: 'The `File` scalar type represents a file upload.',
  extensions: { codegenScalarType: 'File' },
});

const canonical = new Map<string, GraphQLScalarType>();
for (const [name, scalar] of Object.entries(graphqlScalars)) {
  if (scalar instanceof GraphQLScalarType) canonical.set(name, scalar);
}
canonical.set('ObjMap', GraphQLObjMap);
canonical.set('File', GraphQLFile);
for (const [name, format] of [
  ['Hostname', 'hostname'],
  ['Regex', 'regex'],
  ['JsonPointer', 'json-pointer'],
  ['RelativeJsonPointer', 'relative-json-pointer'],
  ['UriReference', 'uri-reference'],
  ['UriTemplate', 'uri-template'],
] as const) {
  if (!canonical.has(name)) canonical.set(name, stringFormatScalar(name, format));
}

/** The canonical shared scalars, by name. */
export const SHARED_SCALARS: ReadonlyMap<string, GraphQLScalarType> = canonical;

/** The canonical instance for a shared scalar name, or undefined for a module-specific name. */
export function sharedScalar(name: string): GraphQLScalarType | undefined {
  return canonical.get(name);
}

/** Whether a named type keeps its name across subgraphs (built-in or shared scalar). */
export function isSharedType(type: GraphQLNamedType): boolean {
  return (
    isSpecifiedScalarType(type) || (type instanceof GraphQLScalarType && canonical.has(type.name))
  );
}
