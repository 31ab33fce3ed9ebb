import { MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLFieldConfigMap,
  type GraphQLSchema,
} from 'graphql';
import type { Logger } from '../core/logger.js';
import type { ModuleRegistry } from '../core/module-registry.js';
import type { JoinDefinition } from '../core/types.js';
import type { SchemaExtender } from '../runtime/runtime.js';
import { analyzeJoin, type JoinProblem, type JoinSpec } from './join-definition.js';
import { JoinPlan, type JoinLimits } from './join-resolvers.js';

/** Per-snapshot data-mesh state (in `snapshot.extensions.dataMesh`). */
export interface DataMeshState {
  /** The composed schema before join fields were added: what new definitions are checked against. */
  baseSchema: GraphQLSchema | null;
  /** Joins present in the schema, by name. */
  plans: Map<string, JoinPlan>;
  /** Stored joins left out of the schema because they no longer fit it (e.g. a module went away). */
  inactive: Map<string, JoinProblem[]>;
  joins: JoinDefinition[];
}

/** Reads the data-mesh state of a snapshot (null when the gateway runs without the data mesh). */
export function dataMeshOf(
  snapshot: { extensions: Readonly<Record<string, unknown>> } | null,
): DataMeshState | null {
  return (snapshot?.extensions['dataMesh'] as DataMeshState | undefined) ?? null;
}

/**
 * The data mesh's schema extender: on every rebuild it reads the join definitions, checks each
 * against the composed schema, and adds the join fields with their resolvers. A definition that
 * no longer fits is left out (and reported) instead of breaking the schema.
 */
export function createJoinExtender(options: JoinLimits & { logger: Logger }): SchemaExtender {
  const { logger } = options;
  return {
    async prepare(registry: ModuleRegistry) {
      const joins = await registry.listJoins();
      const state: DataMeshState = {
        baseSchema: null,
        plans: new Map(),
        inactive: new Map(),
        joins,
      };
      const fingerprint = JSON.stringify(
        joins.map(({ createdAt: _c, updatedAt: _u, ...rest }) => rest),
      );
      return {
        fingerprint,
        extensions: { dataMesh: state },
        extend: (schema: GraphQLSchema) =>
          extendWithJoins(schema, joins, state, registry, options, logger),
      };
    },
  };
}

function extendWithJoins(
  schema: GraphQLSchema,
  joins: JoinDefinition[],
  state: DataMeshState,
  registry: ModuleRegistry,
  limits: JoinLimits,
  logger: Logger,
): GraphQLSchema {
  state.baseSchema = schema;
  const accepted: Array<{ def: JoinSpec; targetType: string }> = [];
  const additions = new Map<string, GraphQLFieldConfigMap<unknown, unknown>>();
  const add = (
    type: string,
    name: string,
    config: GraphQLFieldConfigMap<unknown, unknown>[string],
  ) => {
    let fields = additions.get(type);
    if (!fields) {
      fields = {};
      additions.set(type, fields);
    }
    fields[name] = config;
  };
  for (const def of joins) {
    const { problems, join } = analyzeJoin(def, schema, accepted);
    if (!join) {
      state.inactive.set(def.name, problems);
      logger.warn(
        { join: def.name, problems: problems.map((p) => `${p.field}: ${p.message}`) },
        'join left out of the schema',
      );
      continue;
    }
    accepted.push({ def, targetType: join.targetType.name });
    const plan = new JoinPlan({ ...join, def }, registry, limits);
    state.plans.set(def.name, plan);
    const about = def.description ?? `Joined through ${def.targetOperation} (join '${def.name}').`;
    add(join.sourceType.name, def.fieldName, {
      type: def.many ? new GraphQLList(new GraphQLNonNull(join.targetType)) : join.targetType,
      description: about,
      resolve: plan.resolveForward as never,
    });
    if (def.reverseFieldName && join.reverseField) {
      add(join.targetType.name, def.reverseFieldName, {
        type: join.reverseMany
          ? new GraphQLList(new GraphQLNonNull(join.sourceType))
          : join.sourceType,
        description: `Reverse of ${join.sourceType.name}.${def.fieldName} (join '${def.name}').`,
        resolve: plan.resolveReverse as never,
      });
    }
  }
  if (additions.size === 0) return schema;
  const extended = mapSchema(schema, {
    [MapperKind.OBJECT_TYPE]: (type) => {
      const extra = additions.get(type.name);
      if (!extra) return type;
      const config = type.toConfig();
      return new GraphQLObjectType({ ...config, fields: { ...config.fields, ...extra } });
    },
  });
  for (const plan of state.plans.values()) plan.bind(extended);
  return extended;
}
