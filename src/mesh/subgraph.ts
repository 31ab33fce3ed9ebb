import {
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLInterfaceType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLUnionType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  isUnionType,
  validateSchema,
  type GraphQLArgumentConfig,
  type GraphQLField,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLFieldResolver,
  type GraphQLNamedType,
  type GraphQLResolveInfo,
  type GraphQLType,
  type GraphQLTypeResolver,
} from 'graphql';
import { getDirectiveExtensions } from '@graphql-tools/utils';
import { loadGraphQLSchemaFromOpenAPI } from '@omnigraph/openapi';
import { BifrostError, isBifrostError } from '../core/errors.js';
import { prefixedFieldName, prefixedTypeName } from '../core/names.js';
import type { OpenApiDocument } from '../discovery/openapi-document.js';
import { assertSpecDocument } from '../discovery/openapi-document.js';
import { basePathOf } from '../discovery/spec-operations.js';
import { prepareSpec } from './prepare-spec.js';
import { sharedScalar } from './shared-scalars.js';

/**
 * Fetch used by the generated resolvers (GraphQL Mesh's `MeshFetch` shape). The gateway's
 * implementation adds timeouts, error mapping and header forwarding.
 */
export type SubgraphFetch = (
  url: string,
  init: RequestInit,
  context: unknown,
  info: GraphQLResolveInfo | undefined,
) => Promise<Response>;

export interface BuildSubgraphOptions {
  /** Module name (REST prefix); namespaces root fields and types. */
  moduleName: string;
  /** The module's parsed Swagger 2.0 / OpenAPI 3.x document. */
  document: OpenApiDocument;
  /**
   * The module's registered base URL. Resolvers call `endpoint + basePath + path`: the spec's own
   * host / servers URL is ignored, its base path kept.
   */
  endpoint: string;
  /** Per-request timeout given to the loader (the gateway's fetch may enforce its own). */
  timeoutMs: number;
  fetch: SubgraphFetch;
  /**
   * Headers to add to every upstream call, from the GraphQL context (e.g. forwarded
   * `authorization`). Headers set by the operation itself (content-type, accept, header
   * parameters) win.
   */
  headers?: (context: unknown) => Record<string, string | undefined>;
}

export interface Subgraph {
  moduleName: string;
  /**
   * Executable schema whose root fields are already prefixed `<ns>_<field>` and whose module types
   * are prefixed `<Ns>_<Type>`; shared scalars keep their names and are the canonical instances of
   * `shared-scalars.ts`. No directives. The Query (or Mutation) type is absent when the module
   * has no GET (or no non-GET) operation, so a module with nothing callable has no root type at
   * all.
   */
  schema: GraphQLSchema;
  /** Prefixed Query fields (GET/HEAD operations only). */
  queryFields: string[];
  /** Prefixed Mutation fields (every other method). */
  mutationFields: string[];
  /** Readable warnings (callbacks, webhooks, dropped links, nothing callable, ...). */
  warnings: string[];
  buildMs: number;
}

interface OmnigraphLogger {
  log(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  child(name: unknown): OmnigraphLogger;
}

function collectingLogger(warnings: string[]): OmnigraphLogger {
  const logger: OmnigraphLogger = {
    log() {},
    debug() {},
    info() {},
    warn(...args) {
      const text = args
        .map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : ''))
        .join(' ')
        .trim();
      if (text && !warnings.includes(text)) warnings.push(text);
    },
    error(...args) {
      logger.warn(...args);
    },
    child() {
      return logger;
    },
  };
  return logger;
}

type DirectiveArgs = Record<string, unknown>;

function directiveOf(
  obj: Parameters<typeof getDirectiveExtensions>[0],
  schema: GraphQLSchema,
  name: string,
): DirectiveArgs | undefined {
  const ext = getDirectiveExtensions(obj, schema) as Record<string, DirectiveArgs[] | undefined>;
  return ext[name]?.[0];
}

function parseMaybeJson<T>(value: unknown): T | undefined {
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as T;
    } catch {
      return undefined;
    }
  }
  return (value ?? undefined) as T | undefined;
}

interface LinkInfo {
  linkObjArgs?: Record<string, unknown>;
  targetTypeName?: string;
  targetFieldName?: string;
}

/** Reads a JSON pointer (`/a/b`) in a value. */
function readPointer(value: unknown, pointer: string): unknown {
  if (pointer === '' || pointer === '/') return value;
  let cur = value;
  for (const raw of pointer.replace(/^\//, '').split('/')) {
    const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[token];
  }
  return cur;
}

/**
 * Evaluates an OpenAPI link parameter against the object holding the link field.
 * `$response.body#/ptr` reads the pointer in that object: for a list response this is the list
 * element, for a nested object the nested object (never the whole list or an unrelated parent),
 * so a link always calls the path of the object it hangs on. `$request.path|query.x` only works
 * on objects returned directly by an operation. Anything unknown evaluates to undefined.
 */
function evaluateLinkExpression(expression: string, parent: unknown): unknown {
  const body = /^\$response\.body(?:#(.*))?$/.exec(expression);
  if (body) return readPointer(parent, body[1] ?? '');
  const req = /^\$request\.(path|query)\.(.+)$/.exec(expression);
  if (req && parent !== null && typeof parent === 'object') {
    try {
      const request = (parent as { $request?: Record<string, Record<string, unknown> | undefined> })
        .$request;
      return request?.[req[1]!]?.[req[2]!];
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Omnigraph stores link parameters as `{root.<expression>}`; gets the OpenAPI expression back. */
function linkExpression(value: unknown): { expression: string } | { constant: unknown } {
  if (typeof value === 'string') {
    const m = /^\{root\.(\$.+)\}$/.exec(value);
    if (m) return { expression: m[1]! };
    if (!value.includes('root.$')) return { constant: value };
    return { expression: value.replace(/root\.\$/g, '$') };
  }
  return { constant: value };
}

/**
 * Builds one module's GraphQL subgraph with GraphQL Mesh's OpenAPI engine, then rewrites it for
 * merging: prefixed root fields and types, canonical shared scalars, no directives, no
 * subscriptions, GET operations in Query and every other method in Mutation, OpenAPI links made
 * safe (see `buildSubgraph` steps below).
 *
 * A document with nothing callable (e.g. OpenAPI 3.1 with webhooks only) is NOT an error: it
 * returns a Subgraph with no root fields and a warning saying why, so the module can be shown as
 * such in its status without breaking the others. Every failure of the loader is thrown as
 * `BifrostError('SPEC_INVALID', <reason>)`.
 */
export async function buildSubgraph(options: BuildSubgraphOptions): Promise<Subgraph> {
  const started = performance.now();
  const { moduleName } = options;
  try {
    assertSpecDocument(options.document, `module ${moduleName}`);
    return await build(options, started);
  } catch (err) {
    if (isBifrostError(err)) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new BifrostError(
      'SPEC_INVALID',
      `cannot build the GraphQL schema of module ${moduleName}: ${reason.split('\n')[0]}`,
      { cause: err },
    );
  }
}

async function build(options: BuildSubgraphOptions, started: number): Promise<Subgraph> {
  const { moduleName } = options;
  const prepared = prepareSpec(options.document);
  const warnings = [...prepared.warnings];

  if (prepared.operationCount === 0) {
    warnings.push(
      prepared.webhooks.length > 0
        ? `no callable operations: the document has ${prepared.webhooks.length} webhook(s) (${prepared.webhooks.join(', ')}) and no paths; webhooks are not exposed`
        : 'no callable operations: the document has no operations under `paths`',
    );
    return {
      moduleName,
      schema: new GraphQLSchema({}),
      queryFields: [],
      mutationFields: [],
      warnings,
      buildMs: performance.now() - started,
    };
  }
  if (prepared.webhooks.length > 0) {
    warnings.push(
      `webhook(s) not exposed (the gateway only calls the module): ${prepared.webhooks.join(', ')}`,
    );
  }

  const endpoint = options.endpoint.replace(/\/+$/, '') + basePathOf(prepared.document);

  // Responses whose body is JSON `null`: the loader would crash on them (it decorates the parsed
  // body with metadata properties). The fetch wrapper turns them into an empty 204 and marks the
  // field's path, and the root resolver wrapper answers null for marked paths.
  const nullBodies = new WeakSet<object>();
  const rawBodies = new WeakMap<object, unknown>();
  const userFetch = options.fetch;
  const headerFactory = options.headers;
  const meshFetch = async (
    url: string,
    init: RequestInit | undefined,
    context: unknown,
    info: GraphQLResolveInfo | undefined,
  ): Promise<Response> => {
    const requestInit: RequestInit = { ...init };
    if (headerFactory) {
      const own = (init?.headers ?? {}) as Record<string, string>;
      const merged: Record<string, string> = {};
      for (const [k, v] of Object.entries(headerFactory(context) ?? {})) {
        if (v !== undefined) merged[k.toLowerCase()] = v;
      }
      for (const [k, v] of Object.entries(own)) merged[k.toLowerCase()] = v;
      requestInit.headers = merged;
    }
    const res = await userFetch(url, requestInit, context, info);
    if (res.status === 204 || res.status === 205 || res.status === 304) return res;
    const text = await res.text();
    if (res.status >= 200 && res.status < 300 && info?.path) {
      const trimmed = text.trim();
      if (trimmed === 'null') {
        nullBodies.add(info.path);
        return new Response(null, { status: 204, headers: res.headers });
      }
      // Untyped (JSON scalar) answers are returned as received: the loader would keep only the
      // first element of an array, and add its metadata properties.
      if (returnsJsonScalar(info) && (trimmed.startsWith('[') || trimmed.startsWith('{'))) {
        try {
          rawBodies.set(info.path, JSON.parse(trimmed));
        } catch {
          // not JSON: the loader reports it
        }
      }
    }
    return new Response(text, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };

  const loaderWarnings: string[] = [];
  const source = await loadGraphQLSchemaFromOpenAPI(moduleName, {
    source: prepared.document as never,
    endpoint,
    cwd: process.cwd(),
    fetch: meshFetch as never,
    timeout: options.timeoutMs,
    logger: collectingLogger(loaderWarnings) as never,
  });
  warnings.push(
    ...loaderWarnings.filter((w) => /not supported|could not|invalid|unsupported/i.test(w)),
  );

  const rewritten = rewriteSchema(source, moduleName, { nullBodies, rawBodies }, warnings);
  return {
    moduleName,
    schema: rewritten.schema,
    queryFields: rewritten.queryFields,
    mutationFields: rewritten.mutationFields,
    warnings,
    buildMs: performance.now() - started,
  };
}

const QUERY_METHODS = new Set(['GET', 'HEAD']);

/** Whether a field returns the JSON scalar itself (not a list of it, not an object). */
function returnsJsonScalar(info: GraphQLResolveInfo): boolean {
  const t = isNonNullType(info.returnType) ? info.returnType.ofType : info.returnType;
  return isScalarType(t) && t.name === 'JSON';
}

function stripDirectiveExtensions(
  ext: Readonly<Record<string, unknown>> | null | undefined,
): Record<string, unknown> {
  if (!ext) return {};
  const { directives: _directives, ...rest } = ext as Record<string, unknown>;
  return rest;
}

/**
 * Copies the loader's schema into a new one: prefixed names, shared scalars, no directives, no
 * subscriptions, root fields re-sorted by HTTP method, link fields made safe.
 */
function rewriteSchema(
  src: GraphQLSchema,
  moduleName: string,
  bodies: { nullBodies: WeakSet<object>; rawBodies: WeakMap<object, unknown> },
  warnings: string[],
): { schema: GraphQLSchema; queryFields: string[]; mutationFields: string[] } {
  const rootNames = new Set(
    [src.getQueryType(), src.getMutationType(), src.getSubscriptionType()]
      .filter(Boolean)
      .map((t) => t!.name),
  );
  const subscription = src.getSubscriptionType();
  if (subscription) {
    const names = Object.keys(subscription.getFields());
    if (names.length > 0) warnings.push(`subscription(s) not exposed: ${names.join(', ')}`);
  }

  const newTypes = new Map<string, GraphQLNamedType>();
  const newName = (oldName: string): string => {
    const t = src.getType(oldName);
    if (!t) return oldName;
    if (isSpecifiedScalarType(t)) return oldName;
    if (isScalarType(t) && isSharedScalar(t)) return oldName;
    return prefixedTypeName(moduleName, oldName);
  };
  const isSharedScalar = (t: GraphQLScalarType): boolean => {
    if (!sharedScalar(t.name)) return false;
    // Constrained scalars (@regexp, @length) are the module's own even when named like a shared one.
    const ext = getDirectiveExtensions(t, src) as Record<string, unknown>;
    return !ext['regexp'] && !ext['length'];
  };

  const mapType = <T extends GraphQLType>(type: T): T => {
    if (isNonNullType(type)) return new GraphQLNonNull(mapType(type.ofType)) as unknown as T;
    if (isListType(type)) return new GraphQLList(mapType(type.ofType)) as unknown as T;
    const named = newTypes.get((type as GraphQLNamedType).name);
    if (!named)
      throw new Error(`internal: type ${(type as GraphQLNamedType).name} was not rewritten`);
    return named as unknown as T;
  };
  const mapArgs = (
    args: GraphQLFieldConfigArgumentMap | undefined,
  ): GraphQLFieldConfigArgumentMap => {
    const out: GraphQLFieldConfigArgumentMap = {};
    for (const [name, arg] of Object.entries(args ?? {})) {
      out[name] = {
        ...arg,
        type: mapType(arg.type),
        astNode: undefined,
        extensions: stripDirectiveExtensions(arg.extensions),
      } satisfies GraphQLArgumentConfig;
    }
    return out;
  };
  const wrapTypeResolver = <S, C>(resolver: GraphQLTypeResolver<S, C> | undefined | null) => {
    if (!resolver) return undefined;
    const mapResult = (r: unknown): string | undefined => {
      if (typeof r === 'string') return src.getType(r) ? newName(r) : r;
      if (
        r &&
        typeof r === 'object' &&
        'name' in r &&
        typeof (r as { name: unknown }).name === 'string'
      ) {
        return newName((r as { name: string }).name);
      }
      return undefined;
    };
    const wrapped: GraphQLTypeResolver<S, C> = (value, context, info, abstractType) => {
      const r = resolver(value, context, info, abstractType) as unknown;
      if (r && typeof (r as Promise<unknown>).then === 'function')
        return (r as Promise<unknown>).then(mapResult);
      return mapResult(r);
    };
    return wrapped;
  };

  // Root fields: which are HTTP operations, and their method.
  interface RootOp {
    oldRoot: string;
    field: GraphQLField<unknown, unknown>;
    method: string;
  }
  const rootOps = new Map<string, RootOp>(); // key: `${root}.${field}`
  for (const root of [src.getQueryType(), src.getMutationType()]) {
    if (!root) continue;
    for (const field of Object.values(root.getFields())) {
      const http = directiveOf(field, src, 'httpOperation');
      if (!http) continue; // e.g. the loader's `dummy` placeholder
      const method = String(http['httpMethod'] ?? '').toUpperCase();
      rootOps.set(`${root.name}.${field.name}`, { oldRoot: root.name, field, method });
    }
  }

  // Root resolvers wrapped once (null bodies); link fields call these too.
  const rootResolvers = new Map<string, GraphQLFieldResolver<unknown, unknown>>();
  for (const [key, op] of rootOps) {
    const inner = op.field.resolve;
    if (!inner) continue;
    rootResolvers.set(key, async (parent, args, context, info) => {
      const value = await inner(parent, args, context, info);
      if (!info?.path) return value;
      if (bodies.nullBodies.has(info.path)) return null;
      if (bodies.rawBodies.has(info.path)) return bodies.rawBodies.get(info.path);
      return value;
    });
  }

  const dropped: string[] = [];
  /** Field config for a link field, or null to drop it. */
  const linkField = (
    typeName: string,
    field: GraphQLField<unknown, unknown>,
    oasLink: DirectiveArgs,
  ): GraphQLFieldConfig<unknown, unknown> | null => {
    const declaringRoot = src.getType(String(oasLink['defaultRootType'] ?? ''));
    const declaring =
      declaringRoot && isObjectType(declaringRoot)
        ? declaringRoot.getFields()[String(oasLink['defaultField'] ?? '')]
        : undefined;
    const resolverDirective = declaring ? directiveOf(declaring, src, 'linkResolver') : undefined;
    const map = parseMaybeJson<Record<string, LinkInfo>>(resolverDirective?.['linkResolverMap']);
    const info = map?.[field.name];
    const targetKey = info ? `${info.targetTypeName ?? ''}.${info.targetFieldName ?? ''}` : '';
    const target = rootOps.get(targetKey);
    const targetResolve = rootResolvers.get(targetKey);
    if (!info || !target || !targetResolve) {
      dropped.push(`${typeName}.${field.name} (target operation not found)`);
      return null;
    }
    if (!QUERY_METHODS.has(target.method)) {
      dropped.push(
        `${typeName}.${field.name} (links to ${target.method} operation ${target.field.name}: a query must never write)`,
      );
      return null;
    }
    const params = Object.entries(info.linkObjArgs ?? {}).map(([arg, value]) => ({
      arg,
      ...linkExpression(value),
    }));
    const provided = new Set(params.map((p) => p.arg));
    const requiredArgs = new Set(
      target.field.args.filter((a) => isNonNullType(a.type)).map((a) => a.name),
    );
    const exposedArgs: GraphQLFieldConfigArgumentMap = {};
    for (const a of target.field.args) {
      if (provided.has(a.name)) continue;
      exposedArgs[a.name] = {
        type: a.type,
        description: a.description,
        defaultValue: a.defaultValue,
        deprecationReason: a.deprecationReason,
      };
    }
    return {
      type: target.field.type,
      description: field.description ?? target.field.description,
      args: exposedArgs,
      resolve: (parent, args, context, resolveInfo) => {
        const callArgs: Record<string, unknown> = { ...(args as Record<string, unknown>) };
        for (const p of params) {
          const value = 'constant' in p ? p.constant : evaluateLinkExpression(p.expression, parent);
          if (value === undefined || value === null || value === '') {
            // Calling with a hole in the path would hit another resource: answer null instead.
            if (requiredArgs.has(p.arg)) return null;
            continue;
          }
          callArgs[p.arg] = value;
        }
        return targetResolve(parent, callArgs, context, resolveInfo);
      },
    };
  };

  // 1. Create every non-root named type (fields as thunks, so order does not matter).
  for (const type of Object.values(src.getTypeMap())) {
    if (isIntrospectionType(type) || rootNames.has(type.name)) continue;
    if (isScalarType(type)) {
      if (isSpecifiedScalarType(type)) {
        newTypes.set(type.name, type);
      } else if (isSharedScalar(type)) {
        newTypes.set(type.name, sharedScalar(type.name)!);
      } else {
        const cfg = type.toConfig();
        newTypes.set(
          type.name,
          new GraphQLScalarType({
            ...cfg,
            name: newName(type.name),
            astNode: undefined,
            extensionASTNodes: [],
            extensions: stripDirectiveExtensions(cfg.extensions),
          }),
        );
      }
    } else if (isObjectType(type) || isInterfaceType(type)) {
      const cfg = type.toConfig();
      const fieldsThunk = () => {
        const out: Record<string, GraphQLFieldConfig<unknown, unknown>> = {};
        const srcFields = type.getFields();
        for (const [name, f] of Object.entries(cfg.fields)) {
          const oasLink = directiveOf(srcFields[name]!, src, 'oas_link');
          if (oasLink) {
            const replaced = linkField(type.name, srcFields[name]!, oasLink);
            if (!replaced) continue;
            out[name] = {
              ...replaced,
              type: mapType(replaced.type),
              args: mapArgs(replaced.args),
              extensions: {},
            };
            continue;
          }
          out[name] = {
            ...f,
            type: mapType(f.type),
            args: mapArgs(f.args),
            astNode: undefined,
            extensions: stripDirectiveExtensions(f.extensions),
          };
        }
        return out;
      };
      const common = {
        description: cfg.description,
        name: newName(type.name),
        interfaces: () => cfg.interfaces.map((i) => mapType(i)),
        fields: fieldsThunk,
        astNode: undefined,
        extensionASTNodes: [],
        extensions: stripDirectiveExtensions(cfg.extensions),
      };
      if (isObjectType(type)) {
        const oc = type.toConfig();
        newTypes.set(type.name, new GraphQLObjectType({ ...common, isTypeOf: oc.isTypeOf }));
      } else {
        const ic = type.toConfig();
        newTypes.set(
          type.name,
          new GraphQLInterfaceType({ ...common, resolveType: wrapTypeResolver(ic.resolveType) }),
        );
      }
    } else if (isUnionType(type)) {
      const cfg = type.toConfig();
      newTypes.set(
        type.name,
        new GraphQLUnionType({
          ...cfg,
          name: newName(type.name),
          types: () => cfg.types.map((t) => mapType(t)),
          resolveType: wrapTypeResolver(cfg.resolveType),
          astNode: undefined,
          extensionASTNodes: [],
          extensions: stripDirectiveExtensions(cfg.extensions),
        }),
      );
    } else if (isEnumType(type)) {
      const cfg = type.toConfig();
      const values: typeof cfg.values = {};
      for (const [k, v] of Object.entries(cfg.values)) {
        values[k] = {
          ...v,
          astNode: undefined,
          extensions: stripDirectiveExtensions(v.extensions),
        };
      }
      newTypes.set(
        type.name,
        new GraphQLEnumType({
          ...cfg,
          name: newName(type.name),
          values,
          astNode: undefined,
          extensionASTNodes: [],
          extensions: stripDirectiveExtensions(cfg.extensions),
        }),
      );
    } else if (isInputObjectType(type)) {
      const cfg = type.toConfig();
      newTypes.set(
        type.name,
        new GraphQLInputObjectType({
          ...cfg,
          name: newName(type.name),
          fields: () => {
            const out: typeof cfg.fields = {};
            for (const [name, f] of Object.entries(cfg.fields)) {
              out[name] = {
                ...f,
                type: mapType(f.type),
                astNode: undefined,
                extensions: stripDirectiveExtensions(f.extensions),
              };
            }
            return out;
          },
          astNode: undefined,
          extensionASTNodes: [],
          extensions: stripDirectiveExtensions(cfg.extensions),
        }),
      );
    }
  }

  // 2. Root types: GET/HEAD operations in Query, everything else in Mutation.
  const queryFields: Record<string, GraphQLFieldConfig<unknown, unknown>> = {};
  const mutationFields: Record<string, GraphQLFieldConfig<unknown, unknown>> = {};
  for (const [key, op] of rootOps) {
    const f = op.field;
    const target = QUERY_METHODS.has(op.method) ? queryFields : mutationFields;
    if (op.oldRoot === src.getQueryType()?.name && target === mutationFields) {
      warnings.push(`${f.name} (${op.method}) moved from Query to Mutation`);
    }
    const args: GraphQLFieldConfigArgumentMap = {};
    for (const a of f.args) {
      args[a.name] = {
        type: a.type,
        description: a.description,
        defaultValue: a.defaultValue,
        deprecationReason: a.deprecationReason,
      };
    }
    target[prefixedFieldName(moduleName, f.name)] = {
      type: mapType(f.type),
      args: mapArgs(args),
      description: f.description,
      deprecationReason: f.deprecationReason,
      resolve: rootResolvers.get(key) ?? f.resolve,
    };
  }

  const query = Object.keys(queryFields).length
    ? new GraphQLObjectType({ name: 'Query', fields: queryFields })
    : undefined;
  const mutation = Object.keys(mutationFields).length
    ? new GraphQLObjectType({ name: 'Mutation', fields: mutationFields })
    : undefined;
  // Interface implementations are not always reachable from the roots: list them explicitly.
  const implementations = [...newTypes.values()].filter(
    (t): t is GraphQLObjectType => isObjectType(t) && t.getInterfaces().length > 0,
  );
  const schema = new GraphQLSchema({
    ...(query ? { query } : {}),
    ...(mutation ? { mutation } : {}),
    types: implementations,
  });
  // Validation forces every thunk, so a broken type fails the build, not the first query.
  const errors = validateSchema(schema).filter(
    (e) => !/Query root type must be provided/.test(e.message),
  );
  if (errors.length > 0) {
    throw new BifrostError(
      'SPEC_INVALID',
      `module ${moduleName}: generated schema is invalid: ${errors
        .map((e) => e.message)
        .slice(0, 3)
        .join('; ')}`,
    );
  }
  if (dropped.length > 0) warnings.push(`link field(s) dropped: ${dropped.join('; ')}`);
  if (!query && !mutation) warnings.push('no callable operations were generated');
  return {
    schema,
    queryFields: Object.keys(queryFields),
    mutationFields: Object.keys(mutationFields),
  };
}
