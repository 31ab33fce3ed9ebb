import {
  GraphQLError,
  getNamedType,
  isListType,
  isNonNullType,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLOutputType,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { ErrorCode } from '../core/errors.js';

/** Limits applied to every GraphQL document before it runs. */
export interface GraphQLLimits {
  /** Deepest field nesting allowed (introspection included), default 15. */
  maxDepth: number;
  /** Most aliases in one document, default 30. */
  maxAliases: number;
  /**
   * Largest estimated cost: each field costs 1, and the selections below a list field count once
   * per expected item (`limit`/`first`/`last`/`size`/`pageSize` argument when given, else
   * `listFactor`). Default 50 000.
   */
  maxCost: number;
  /** Items assumed for a list field without a size argument, default 10. */
  listFactor: number;
}

export const DEFAULT_LIMITS: GraphQLLimits = {
  maxDepth: 15,
  maxAliases: 30,
  maxCost: 50_000,
  listFactor: 10,
};

/** Codes our rules raise; formatError restores them after Apollo's validation wrapping. */
export const LIMIT_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'QUERY_TOO_DEEP',
  'TOO_MANY_ALIASES',
  'QUERY_TOO_COMPLEX',
]);

const SIZE_ARGS = ['limit', 'first', 'last', 'size', 'pageSize', 'per_page', 'count'];

function limitError(code: ErrorCode, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

function unwrapList(type: GraphQLOutputType): boolean {
  let t: GraphQLOutputType = type;
  if (isNonNullType(t)) t = t.ofType;
  return isListType(t);
}

/** Validation rules enforcing `limits`; one pass over the operation each. */
export function limitRules(limits: GraphQLLimits): ValidationRule[] {
  const rule: ValidationRule = (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) {
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    }
    let aliases = 0;
    let reportedAliases = false;
    return {
      Field(node) {
        if (node.alias) {
          aliases++;
          if (aliases > limits.maxAliases && !reportedAliases) {
            reportedAliases = true;
            context.reportError(
              limitError(
                'TOO_MANY_ALIASES',
                `The document uses more than ${limits.maxAliases} aliases`,
              ),
            );
          }
        }
      },
      OperationDefinition(node) {
        const schema = context.getSchema();
        const root =
          node.operation === 'query'
            ? schema.getQueryType()
            : node.operation === 'mutation'
              ? schema.getMutationType()
              : schema.getSubscriptionType();
        if (!root) return;
        let maxDepth = 0;
        let tooDeep = false;
        // Walks the selection tree with the schema types to know which fields are lists.
        const walk = (
          set: SelectionSetNode,
          parent: import('graphql').GraphQLNamedType | null,
          depth: number,
          visited: Set<string>,
        ): number => {
          if (depth > maxDepth) maxDepth = depth;
          if (depth > limits.maxDepth) {
            tooDeep = true;
            return 0;
          }
          let cost = 0;
          for (const sel of set.selections) {
            if (tooDeep) return cost;
            if (sel.kind === Kind.FIELD) {
              cost += fieldCost(sel, parent, depth, visited);
            } else if (sel.kind === Kind.INLINE_FRAGMENT) {
              const t = sel.typeCondition
                ? (schema.getType(sel.typeCondition.name.value) ?? null)
                : parent;
              cost += walk(sel.selectionSet, t, depth, visited);
            } else {
              const frag = fragments.get(sel.name.value);
              if (!frag || visited.has(frag.name.value)) continue; // cycles are reported by graphql-js
              const t = schema.getType(frag.typeCondition.name.value) ?? parent;
              cost += walk(frag.selectionSet, t, depth, new Set([...visited, frag.name.value]));
            }
          }
          return cost;
        };
        const fieldCost = (
          node: FieldNode,
          parent: import('graphql').GraphQLNamedType | null,
          depth: number,
          visited: Set<string>,
        ): number => {
          if (!node.selectionSet) return 1;
          const name = node.name.value;
          const fields =
            parent && 'getFields' in parent
              ? (parent.getFields() as Record<string, { type: GraphQLOutputType }>)
              : {};
          const def =
            fields[name] ??
            (name === '__schema'
              ? { type: schema.getType('__Schema') as GraphQLOutputType }
              : undefined) ??
            (name === '__type'
              ? { type: schema.getType('__Type') as GraphQLOutputType }
              : undefined);
          // Unknown fields are reported by graphql-js; keep counting depth through them.
          if (!def) return 1 + walk(node.selectionSet, null, depth + 1, visited);
          let factor = 1;
          if (unwrapList(def.type)) {
            factor = limits.listFactor;
            for (const arg of node.arguments ?? []) {
              if (SIZE_ARGS.includes(arg.name.value) && arg.value.kind === Kind.INT)
                factor = Math.max(1, Number(arg.value.value));
            }
          }
          return 1 + factor * walk(node.selectionSet, getNamedType(def.type), depth + 1, visited);
        };
        const cost = walk(node.selectionSet, root, 1, new Set());
        if (tooDeep) {
          context.reportError(
            limitError(
              'QUERY_TOO_DEEP',
              `The document is nested deeper than ${limits.maxDepth} levels`,
            ),
          );
        } else if (cost > limits.maxCost) {
          context.reportError(
            limitError(
              'QUERY_TOO_COMPLEX',
              `The document's estimated cost ${cost} exceeds the limit of ${limits.maxCost}`,
            ),
          );
        }
      },
    };
  };
  return [rule];
}
