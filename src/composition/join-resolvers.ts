import DataLoader from 'dataloader';
import {
  getNamedType,
  GraphQLError,
  isListType,
  isNonNullType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type GraphQLType,
} from 'graphql';
import { BifrostError, isBifrostError } from '../core/errors.js';
import type { ModuleRegistry } from '../core/module-registry.js';
import type { AnalyzedJoin, JoinSpec } from './join-definition.js';

/** Limits of join calls (config JOIN_MAX_BATCH, JOIN_CONCURRENCY). */
export interface JoinLimits {
  /** Most keys sent in one call of a batch operation (default 100). */
  maxBatch: number;
  /** Most single calls in flight at once for one loader batch (default 10). */
  concurrency: number;
  /** Most distinct keys one join may fetch for one request (JOIN_LIMIT_EXCEEDED beyond). */
  maxKeys?: number;
  /** Observes each loader batch: distinct keys and upstream calls made (metrics). */
  onBatch?: (join: string, keys: number, calls: number) => void;
}

/** What join resolvers read from the request context (GatewayContext has all of it). */
export interface JoinContext {
  /** Per-request loaders, keyed `<join name>:<direction>`. */
  loaders?: Map<string, unknown>;
  principal?: { organization: string | null };
  forwardHeaders?: Record<string, string>;
}

type Obj = Record<string, unknown>;
type Coerce = (v: unknown) => unknown;

const EMPTY: readonly unknown[] = Object.freeze([]);
/** Raised by a single-object fetch that answered 404: the joined object does not exist. */
const NOT_FOUND = Symbol('not found');

/** A root query field of the final schema, ready to be called outside a normal execution. */
interface BoundOperation {
  field: GraphQLField<unknown, unknown>;
  schema: GraphQLSchema;
  queryType: GraphQLObjectType;
  argument: string;
  coerce: Coerce;
  list: boolean;
}

function coercerFor(type: GraphQLType): Coerce {
  const named = getNamedType(type).name;
  const scalar: Coerce =
    named === 'Int' || named === 'Float'
      ? (v) =>
          typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v
      : named === 'String' || named === 'ID'
        ? (v) => (typeof v === 'string' ? v : String(v))
        : (v) => v;
  const t = isNonNullType(type) ? type.ofType : type;
  return isListType(t) ? (v) => (v as unknown[]).map(scalar) : scalar;
}

/** Maps whatever a module call produced (thrown or returned) onto the error table. */
export function toBifrostError(err: unknown, operation: string): BifrostError | typeof NOT_FOUND {
  if (isBifrostError(err)) return err;
  const ext =
    (err instanceof GraphQLError
      ? err.extensions
      : (err as { extensions?: Obj } | null)?.extensions) ?? {};
  const response = ext['response'] as { status?: number } | undefined;
  const http = ext['http'] as { status?: number } | undefined;
  const status = response?.status ?? http?.status;
  if (status === 404) return NOT_FOUND;
  const module = String(ext['serviceName'] ?? ext['subgraph'] ?? operation.split('_')[0]);
  if (status !== undefined) {
    return new BifrostError('UPSTREAM_ERROR', `Module '${module}' answered with HTTP ${status}`, {
      details: { status },
      cause: err,
    });
  }
  return new BifrostError(
    'UPSTREAM_ERROR',
    `Module '${module}' could not answer ${operation}: ${(err as Error)?.message ?? String(err)}`,
    { cause: err },
  );
}

/**
 * Calls a root field's own resolver (GraphQL Mesh's HTTP operation resolver), so the module is
 * called with the same client, forwarded headers, timeouts and error mapping as a normal query.
 * The value is the module's JSON, which the target type's resolvers expect.
 */
async function callOperation(op: BoundOperation, key: unknown, context: unknown): Promise<unknown> {
  const name = op.field.name;
  // A fresh path per call: the subgraph keys per-call state (null bodies) on it.
  const info = {
    fieldName: name,
    fieldNodes: EMPTY,
    returnType: op.field.type,
    parentType: op.queryType,
    path: { prev: undefined, key: name, typename: 'Query' },
    schema: op.schema,
    fragments: {},
    rootValue: {},
    operation: undefined,
    variableValues: {},
  } as unknown as GraphQLResolveInfo;
  let value: unknown;
  try {
    value = await op.field.resolve!({}, { [op.argument]: op.coerce(key) }, context, info);
  } catch (err) {
    throw toBifrostError(err, name);
  }
  if (value instanceof Error) throw toBifrostError(value, name);
  return value;
}

/** Runs `fn` over `items` with at most `limit` in flight; a failure becomes that item's value. */
async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<unknown[]> {
  const out = new Array<unknown>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (err) {
        out[i] =
          err === NOT_FOUND
            ? null
            : err instanceof Error
              ? err
              : new BifrostError('UPSTREAM_ERROR', String(err));
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(limit, items.length); w++) workers.push(worker());
  await Promise.all(workers);
  return out;
}

function readKey(obj: unknown, field: string): unknown {
  return obj !== null && typeof obj === 'object' ? (obj as Obj)[field] : undefined;
}

const stringKey = (k: unknown) => String(k);

/**
 * One join of one snapshot: the resolvers of its forward and reverse fields and the per-request
 * DataLoaders behind them. Built when the schema is extended; `bind` attaches the root fields of
 * the final schema.
 */
export class JoinPlan {
  readonly name: string;
  readonly def: JoinSpec & { id: string };
  readonly sourceTypeName: string;
  readonly targetTypeName: string;
  readonly many: boolean;
  readonly reverseMany: boolean;
  private readonly keyField: string;
  private readonly targetKeyField: string;
  private target: BoundOperation | null = null;
  private batch: BoundOperation | null = null;
  private reverseOp: BoundOperation | null = null;
  private readonly keys: Record<
    'target' | 'records' | 'reverse' | 'reverseRecords' | 'sources',
    string
  >;

  constructor(
    analyzed: AnalyzedJoin & { def: JoinSpec & { id: string } },
    private readonly registry: ModuleRegistry,
    private readonly limits: JoinLimits,
  ) {
    this.def = analyzed.def;
    this.name = analyzed.def.name;
    this.sourceTypeName = analyzed.sourceType.name;
    this.targetTypeName = analyzed.targetType.name;
    this.many = analyzed.def.many;
    this.reverseMany = analyzed.reverseMany;
    this.keyField = analyzed.keyField;
    this.targetKeyField = analyzed.def.targetKeyField;
    const n = this.name;
    this.keys = {
      target: `${n}:target`,
      records: `${n}:records`,
      reverse: `${n}:reverse`,
      reverseRecords: `${n}:reverse-records`,
      sources: `${n}:sources`,
    };
  }

  /** Attaches the root fields of the final (extended) schema. */
  bind(schema: GraphQLSchema): void {
    const queryType = schema.getQueryType()!;
    const fields = queryType.getFields();
    const bound = (name: string | null, argument: string | null): BoundOperation | null => {
      const field = name ? fields[name] : undefined;
      if (!field?.resolve || !argument) return null;
      const arg = field.args.find((a) => a.name === argument);
      const t = isNonNullType(field.type) ? field.type.ofType : field.type;
      return {
        field,
        schema,
        queryType,
        argument,
        coerce: coercerFor(arg?.type ?? field.type),
        list: isListType(t),
      };
    };
    this.target = bound(this.def.targetOperation, this.def.targetArgument);
    this.batch = bound(this.def.batchOperation, this.def.batchArgument);
    this.reverseOp = bound(this.def.reverseOperation, this.def.reverseArgument);
  }

  /** Resolver of the forward field (`sourceType.fieldName`). */
  readonly resolveForward = (parent: unknown, _args: unknown, context: JoinContext): unknown => {
    const key = readKey(parent, this.keyField);
    if (key === null || key === undefined || key === '') return this.many ? EMPTY : null;
    if (this.def.kind === 'record') {
      return this.recordsLoader(context, 'records')
        .load(String(key))
        .then((ids) => this.targetsOf(ids, context, this.targetLoader(context)), this.fail)
        .then((list) => (this.many ? list : (list[0] ?? null)));
    }
    return this.targetLoader(context).load(key).catch(this.fail);
  };

  /** Resolver of the reverse field (`targetType.reverseFieldName`). */
  readonly resolveReverse = (parent: unknown, _args: unknown, context: JoinContext): unknown => {
    // The target's match field: its own id for record joins, the key it was found by for field joins.
    const key = readKey(parent, this.targetKeyField);
    if (key === null || key === undefined || key === '') return this.reverseMany ? EMPTY : null;
    if (this.def.kind === 'record') {
      return this.recordsLoader(context, 'reverseRecords')
        .load(String(key))
        .then((ids) => this.targetsOf(ids, context, this.sourceLoader(context)), this.fail);
    }
    return this.reverseLoader(context).load(key).catch(this.fail);
  };

  private readonly fail = (err: unknown): never => {
    // A limit refusal is the caller's, not a module failure: keep its own code.
    if (err instanceof BifrostError && err.code === 'JOIN_LIMIT_EXCEEDED') throw err;
    const cause = err instanceof Error ? err : new Error(String(err));
    throw new BifrostError(
      'JOIN_FAILED',
      `Join '${this.name}' could not be resolved: ${cause.message}`,
      { cause },
    );
  };

  private async targetsOf(
    ids: readonly string[],
    _context: JoinContext,
    loader: DataLoader<unknown, unknown>,
  ): Promise<unknown[]> {
    if (ids.length === 0) return [];
    const loaded = await loader.loadMany(ids);
    const out: unknown[] = [];
    for (const v of loaded) {
      if (v instanceof Error) this.fail(v);
      if (v !== null && v !== undefined) out.push(v);
    }
    return out;
  }

  private loader<K, V>(
    context: JoinContext,
    key: string,
    make: () => DataLoader<K, V>,
  ): DataLoader<K, V> {
    let map = context.loaders;
    if (!map) {
      map = new Map();
      context.loaders = map;
    }
    let l = map.get(key) as DataLoader<K, V> | undefined;
    if (!l) {
      l = make();
      map.set(key, l);
    }
    return l;
  }

  /** Key -> target object (one), or key -> target objects (many field joins); by id for record joins. */
  private targetLoader(context: JoinContext): DataLoader<unknown, unknown> {
    return this.loader(context, this.keys.target, () => {
      const batch = this.batch;
      const target = this.target!;
      const grouped = this.def.kind === 'field' && this.many;
      // Keys this request has asked this join for so far (the loader lives for one request).
      let requested = 0;
      const maxKeys = this.limits.maxKeys ?? Infinity;
      const overLimit = (keys: readonly unknown[]): Error[] | null => {
        requested += keys.length;
        if (requested <= maxKeys) return null;
        const e = new BifrostError(
          'JOIN_LIMIT_EXCEEDED',
          `Join '${this.def.name}' would fetch more than ${maxKeys} records for one request`,
        );
        return keys.map(() => e);
      };
      const fn = batch
        ? async (keys: readonly unknown[]) => {
            const refused = overLimit(keys);
            if (refused) return refused;
            let list: unknown;
            this.limits.onBatch?.(this.def.name, keys.length, 1);
            try {
              list = await callOperation(batch, keys, context);
            } catch (err) {
              const e =
                err === NOT_FOUND
                  ? new BifrostError('UPSTREAM_ERROR', `${batch.field.name} answered 404`)
                  : (err as Error);
              return keys.map(() => e);
            }
            const index = new Map<string, unknown>();
            if (Array.isArray(list)) {
              for (const obj of list) {
                const k = String(readKey(obj, this.targetKeyField));
                if (grouped) {
                  const group = index.get(k) as unknown[] | undefined;
                  if (group) group.push(obj);
                  else index.set(k, [obj]);
                } else if (!index.has(k)) index.set(k, obj);
              }
            }
            return keys.map((k) => index.get(String(k)) ?? (grouped ? EMPTY : null));
          }
        : async (keys: readonly unknown[]) => {
            const refused = overLimit(keys);
            if (refused) return refused;
            this.limits.onBatch?.(this.def.name, keys.length, keys.length);
            return mapLimit(keys, this.limits.concurrency, async (k) => {
              const v = await callOperation(target, k, context);
              return grouped ? (v ?? EMPTY) : v;
            });
          };
      return new DataLoader<unknown, unknown>(fn, {
        cacheKeyFn: stringKey,
        maxBatchSize: batch ? this.limits.maxBatch : Infinity,
      });
    });
  }

  /** Key of a target -> what the reverse operation answers for it (field joins). */
  private reverseLoader(context: JoinContext): DataLoader<unknown, unknown> {
    return this.loader(context, this.keys.reverse, () => {
      const op = this.reverseOp!;
      return new DataLoader<unknown, unknown>(
        (keys) =>
          mapLimit(keys, this.limits.concurrency, async (k) => {
            const v = await callOperation(op, k, context);
            return v ?? (this.reverseMany ? EMPTY : null);
          }),
        { cacheKeyFn: stringKey },
      );
    });
  }

  /** Source id -> source object (reverse direction of record joins). */
  private sourceLoader(context: JoinContext): DataLoader<unknown, unknown> {
    return this.loader(context, this.keys.sources, () => {
      const op = this.reverseOp!;
      return new DataLoader<unknown, unknown>(
        (keys) => mapLimit(keys, this.limits.concurrency, (k) => callOperation(op, k, context)),
        {
          cacheKeyFn: stringKey,
        },
      );
    });
  }

  /** Source id -> linked target ids (or target id -> source ids): one SQL query per batch, scoped to the caller's organization. */
  private recordsLoader(
    context: JoinContext,
    direction: 'records' | 'reverseRecords',
  ): DataLoader<string, string[]> {
    return this.loader(context, this.keys[direction], () => {
      const organization = context.principal?.organization ?? null;
      const forward = direction === 'records';
      return new DataLoader<string, string[]>(
        async (ids) => {
          // Without an organization the caller has no links (records are always tenant-scoped).
          if (organization === null) return ids.map(() => [] as string[]);
          const rows = await this.registry.listJoinRecords(
            this.def.id,
            organization,
            forward ? { sourceIds: [...ids] } : { targetIds: [...ids] },
          );
          const byId = new Map<string, string[]>();
          for (const r of rows) {
            const from = forward ? r.sourceId : r.targetId;
            const to = forward ? r.targetId : r.sourceId;
            const list = byId.get(from);
            if (list) list.push(to);
            else byId.set(from, [to]);
          }
          return ids.map((id) => byId.get(id) ?? []);
        },
        { maxBatchSize: 1000 },
      );
    });
  }
}
