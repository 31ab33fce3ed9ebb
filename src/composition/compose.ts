import {
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  specifiedDirectives,
  validateSchema,
  type GraphQLFieldConfigMap,
} from 'graphql';
import type { Subgraph } from '../mesh/subgraph.js';

/** Result of merging module subgraphs into one executable schema. */
export interface Composition {
  schema: GraphQLSchema;
  /** Modules whose subgraph could not be merged (name clash, invalid types), with the reason. */
  rejected: Array<{ moduleName: string; reason: string }>;
  /** Modules present in the schema. */
  included: string[];
}

/** Information every schema exposes even with no module: the gateway's own root field. */
export interface GatewayInfoSource {
  version: () => string;
  modules: () => Array<{ name: string; status: string }>;
}

const ModuleInfoType = new GraphQLObjectType({
  name: 'Bifrost_ModuleInfo',
  description: 'A logic module registered with the gateway.',
  fields: {
    name: { type: new GraphQLNonNull(GraphQLString) },
    status: {
      type: new GraphQLNonNull(GraphQLString),
      description: 'ok, unreachable, invalid, degraded or pending',
    },
  },
});

const GatewayInfoType = new GraphQLObjectType({
  name: 'Bifrost_GatewayInfo',
  description: 'The gateway itself: schema version and modules.',
  fields: {
    version: {
      type: new GraphQLNonNull(GraphQLString),
      description: 'Hash of the composed schema.',
    },
    modules: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(ModuleInfoType))) },
  },
});

/**
 * Merges subgraphs by copying their (already prefixed) root fields into one Query and one
 * Mutation type. Resolvers stay attached to the fields, so a query runs in one execution with no
 * delegation between schemas. `extend` lets the data mesh add join fields to the merged types.
 */
export function composeSubgraphs(
  subgraphs: Subgraph[],
  info: GatewayInfoSource,
  extend?: (schema: GraphQLSchema) => GraphQLSchema,
): Composition {
  const rejected: Composition['rejected'] = [];
  let accepted: Subgraph[] = [];
  const all = build(subgraphs, info);
  if (!(all instanceof Error) && validateSchema(all).length === 0) {
    const schema = extend ? extend(all) : all;
    return { schema, rejected, included: subgraphs.map((s) => s.moduleName) };
  }
  for (const sg of subgraphs) {
    // Merge incrementally so that one subgraph that clashes is rejected alone.
    const attempt = build([...accepted, sg], info);
    const errors = attempt instanceof Error ? [attempt] : validateSchema(attempt);
    if (errors.length > 0) {
      rejected.push({ moduleName: sg.moduleName, reason: errors.map((e) => e.message).join('; ') });
    } else {
      accepted.push(sg);
    }
  }
  let schema = build(accepted, info);
  if (schema instanceof Error) {
    // Cannot happen once each module was accepted alone, but never serve nothing.
    rejected.push(
      ...accepted.map((s) => ({ moduleName: s.moduleName, reason: (schema as Error).message })),
    );
    accepted = [];
    schema = build([], info) as GraphQLSchema;
  }
  if (extend) schema = extend(schema);
  return { schema, rejected, included: accepted.map((s) => s.moduleName) };
}

function build(subgraphs: Subgraph[], info: GatewayInfoSource): GraphQLSchema | Error {
  try {
    const queryFields: GraphQLFieldConfigMap<unknown, unknown> = {
      _gateway: {
        type: new GraphQLNonNull(GatewayInfoType),
        description: 'The gateway: schema version and registered modules.',
        resolve: () => ({ version: info.version(), modules: info.modules() }),
      },
    };
    const mutationFields: GraphQLFieldConfigMap<unknown, unknown> = {};
    for (const sg of subgraphs) {
      const q = sg.schema.getQueryType();
      if (q) Object.assign(queryFields, q.toConfig().fields);
      const m = sg.schema.getMutationType();
      if (m) Object.assign(mutationFields, m.toConfig().fields);
    }
    return new GraphQLSchema({
      query: new GraphQLObjectType({ name: 'Query', fields: queryFields }),
      mutation:
        Object.keys(mutationFields).length > 0
          ? new GraphQLObjectType({ name: 'Mutation', fields: mutationFields })
          : null,
      directives: specifiedDirectives,
    });
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
