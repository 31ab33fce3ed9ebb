/**
 * Spec-change safety: which parts of a module's schema the stored joins depend on, and whether a
 * new version of the module still provides them. Pure (graphql-js only), unit-tested.
 */
import {
  getNamedType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type GraphQLType,
} from 'graphql';
import type { JoinDefinition } from '../core/types.js';

/** The join fields the comparison reads. */
export type JoinUsage = Pick<
  JoinDefinition,
  | 'name'
  | 'sourceType'
  | 'sourceKeyFields'
  | 'targetOperation'
  | 'targetArgument'
  | 'batchOperation'
  | 'batchArgument'
  | 'targetKeyField'
  | 'reverseOperation'
  | 'reverseArgument'
>;

/** One thing a join uses that the new version of a module removed or changed. */
export interface BreakingChange {
  /** Name of the join that depends on it. */
  join: string;
  /** `type`, `field`, `operation` (root field) or `argument`. */
  kind: 'type' | 'field' | 'operation' | 'argument';
  /** e.g. `Orders_Order.customerId`, `customers_getCustomer(id)`. */
  path: string;
  change: 'removed' | 'type changed';
  before: string;
  after: string | null;
}

/**
 * Type as a join sees it: nullability does not matter (the resolver reads the value or gets null),
 * list-ness and the named type do. `[Int!]!` -> `[Int]`.
 */
function shape(type: GraphQLType): string {
  if (isNonNullType(type)) return shape(type.ofType);
  if (isListType(type)) return `[${shape(type.ofType)}]`;
  return type.name;
}

function rootField(
  schema: GraphQLSchema,
  name: string,
): GraphQLField<unknown, unknown> | undefined {
  return schema.getQueryType()?.getFields()[name] ?? schema.getMutationType()?.getFields()[name];
}

function fieldOf(
  type: GraphQLNamedType | undefined,
  path: string,
): { type: GraphQLType } | undefined {
  let current: GraphQLNamedType | undefined = type;
  let found: { type: GraphQLType } | undefined;
  for (const segment of path.split('.')) {
    if (
      !current ||
      !(isObjectType(current) || isInterfaceType(current) || isInputObjectType(current))
    )
      return undefined;
    found = current.getFields()[segment];
    if (!found) return undefined;
    current = getNamedType(found.type);
  }
  return found;
}

function argOf(
  field: GraphQLField<unknown, unknown> | undefined,
  name: string,
): GraphQLArgument | undefined {
  return field?.args.find((a) => a.name === name);
}

/**
 * Compares the subgraph a module serves now (`before`) with the one its new spec produces
 * (`after`). A join reference that `before` does not contain belongs to another module and is
 * ignored. Returns every removed or re-typed reference; empty means the change is compatible.
 */
export function findBreakingChanges(
  before: GraphQLSchema,
  after: GraphQLSchema,
  joins: readonly JoinUsage[],
): BreakingChange[] {
  const changes: BreakingChange[] = [];
  const seen = new Set<string>();
  const add = (c: BreakingChange) => {
    const key = `${c.join}|${c.path}`;
    if (!seen.has(key)) {
      seen.add(key);
      changes.push(c);
    }
  };

  for (const join of joins) {
    const checkType = (typeName: string, fields: string[]) => {
      const old = before.getType(typeName);
      if (!old) return;
      const next = after.getType(typeName);
      if (!next) {
        add({
          join: join.name,
          kind: 'type',
          path: typeName,
          change: 'removed',
          before: typeName,
          after: null,
        });
        return;
      }
      for (const f of fields) {
        const of = fieldOf(old, f);
        if (!of) continue; // the join was already broken; not this change's doing
        const nf = fieldOf(next, f);
        const path = `${typeName}.${f}`;
        if (!nf)
          add({
            join: join.name,
            kind: 'field',
            path,
            change: 'removed',
            before: shape(of.type),
            after: null,
          });
        else if (shape(nf.type) !== shape(of.type))
          add({
            join: join.name,
            kind: 'field',
            path,
            change: 'type changed',
            before: shape(of.type),
            after: shape(nf.type),
          });
      }
    };
    const checkOperation = (
      operation: string | null,
      argument: string | null,
      keyField?: string,
    ) => {
      if (!operation) return;
      const old = rootField(before, operation);
      if (!old) return;
      const next = rootField(after, operation);
      if (!next) {
        add({
          join: join.name,
          kind: 'operation',
          path: operation,
          change: 'removed',
          before: shape(old.type),
          after: null,
        });
        return;
      }
      if (shape(next.type) !== shape(old.type)) {
        add({
          join: join.name,
          kind: 'operation',
          path: operation,
          change: 'type changed',
          before: shape(old.type),
          after: shape(next.type),
        });
      }
      if (argument) {
        const oa = argOf(old, argument);
        const na = argOf(next, argument);
        const path = `${operation}(${argument})`;
        if (oa && !na)
          add({
            join: join.name,
            kind: 'argument',
            path,
            change: 'removed',
            before: shape(oa.type),
            after: null,
          });
        else if (oa && na && shape(oa.type) !== shape(na.type))
          add({
            join: join.name,
            kind: 'argument',
            path,
            change: 'type changed',
            before: shape(oa.type),
            after: shape(na.type),
          });
      }
      if (keyField) checkType(getNamedType(old.type).name, [keyField]);
    };

    checkType(join.sourceType, join.sourceKeyFields);
    checkOperation(join.targetOperation, join.targetArgument, join.targetKeyField || 'id');
    checkOperation(join.batchOperation, join.batchArgument, join.targetKeyField || 'id');
    checkOperation(join.reverseOperation, join.reverseArgument);
  }
  return changes;
}

/** One line per change, for `lastError` and logs. */
export function describeBreakingChanges(changes: readonly BreakingChange[]): string {
  return changes
    .map((c) =>
      c.change === 'removed'
        ? `${c.kind} ${c.path} removed (used by join '${c.join}')`
        : `${c.kind} ${c.path} changed from ${c.before} to ${c.after} (used by join '${c.join}')`,
    )
    .join('; ');
}
