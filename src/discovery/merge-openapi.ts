import { typePrefix } from '../core/names.js';
import { isHttpMethod, isRecord, isSwagger2, type OpenApiDocument } from './openapi-document.js';
import { basePathOf } from './spec-operations.js';

export interface MergeOpenApiModule {
  /** Module name: its REST prefix. */
  name: string;
  document: OpenApiDocument;
}

export interface MergeOpenApiOptions {
  /** Public base URL of the gateway, written as the only server. Default: none (relative). */
  gatewayUrl?: string;
  /** `info.title` of the merged document. */
  title?: string;
  /** `info.version` of the merged document. Default `'1.0.0'`. */
  version?: string;
}

type Json = Record<string, unknown>;

const COMPONENT_KINDS = [
  'schemas',
  'responses',
  'parameters',
  'examples',
  'requestBodies',
  'headers',
  'securitySchemes',
  'links',
  'callbacks',
] as const;

/** A JSON pointer token (`~0`, `~1` escaping). */
function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}
function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A readable operationId for an operation that has none: `get_pets_by_id`. */
export function operationIdFromPath(method: string, path: string): string {
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((seg) =>
      seg
        .replace(/^\{(.+)\}$/, 'by_$1')
        .replace(/[^A-Za-z0-9_]+/g, '_')
        .replace(/^_+|_+$/g, ''),
    )
    .filter(Boolean);
  return `${method.toLowerCase()}_${parts.length ? parts.join('_') : 'root'}`;
}

/** Converts one Swagger 2 operation to OpenAPI 3 shape (best effort; unknown bits are kept). */
function convertSwagger2Operation(op: Json, doc: Json): Json {
  const out: Json = { ...op };
  const consumes = asStringArray(op['consumes']) ??
    asStringArray(doc['consumes']) ?? ['application/json'];
  const produces = asStringArray(op['produces']) ??
    asStringArray(doc['produces']) ?? ['application/json'];
  delete out['consumes'];
  delete out['produces'];
  delete out['schemes'];
  if (Array.isArray(op['parameters'])) {
    const params: unknown[] = [];
    const formProps: Json = {};
    const formRequired: string[] = [];
    for (const p of op['parameters']) {
      if (!isRecord(p)) continue;
      if (typeof p['$ref'] === 'string') {
        params.push(p);
        continue;
      }
      if (p['in'] === 'body') {
        const mediaType: Json = { schema: p['schema'] ?? {} };
        out['requestBody'] = {
          ...(p['description'] ? { description: p['description'] } : {}),
          required: p['required'] === true,
          content: Object.fromEntries(consumes.map((c) => [c, mediaType])),
        };
      } else if (p['in'] === 'formData') {
        formProps[String(p['name'])] = swagger2ParamSchema(p);
        if (p['required'] === true) formRequired.push(String(p['name']));
      } else {
        params.push(convertSwagger2Parameter(p));
      }
    }
    if (Object.keys(formProps).length > 0) {
      const mt =
        consumes.find((c) => c.startsWith('multipart/')) ?? 'application/x-www-form-urlencoded';
      out['requestBody'] = {
        content: {
          [mt]: {
            schema: {
              type: 'object',
              properties: formProps,
              ...(formRequired.length ? { required: formRequired } : {}),
            },
          },
        },
      };
    }
    out['parameters'] = params;
  }
  if (isRecord(op['responses'])) {
    out['responses'] = Object.fromEntries(
      Object.entries(op['responses']).map(([code, r]) => [
        code,
        isRecord(r) ? convertSwagger2Response(r, produces) : r,
      ]),
    );
  }
  return out;
}

function asStringArray(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')
    ? (v as string[])
    : undefined;
}

function swagger2ParamSchema(p: Json): Json {
  const schema: Json = {};
  for (const key of [
    'type',
    'format',
    'items',
    'enum',
    'default',
    'minimum',
    'maximum',
    'pattern',
    'maxLength',
    'minLength',
  ]) {
    if (p[key] !== undefined) schema[key] = p[key];
  }
  if (schema['type'] === 'file') {
    schema['type'] = 'string';
    schema['format'] = 'binary';
  }
  return schema;
}

function convertSwagger2Parameter(p: Json): Json {
  const out: Json = {
    name: p['name'],
    in: p['in'],
    ...(p['description'] ? { description: p['description'] } : {}),
    ...(p['required'] !== undefined ? { required: p['required'] } : {}),
    schema: swagger2ParamSchema(p),
  };
  if (p['type'] === 'array') {
    const fmt = p['collectionFormat'] ?? 'csv';
    if (fmt === 'multi') Object.assign(out, { style: 'form', explode: true });
    else if (fmt === 'ssv') Object.assign(out, { style: 'spaceDelimited', explode: false });
    else if (fmt === 'pipes') Object.assign(out, { style: 'pipeDelimited', explode: false });
    else Object.assign(out, { style: p['in'] === 'query' ? 'form' : 'simple', explode: false });
  }
  return out;
}

function convertSwagger2Response(r: Json, produces: string[]): Json {
  if (typeof r['$ref'] === 'string') return r;
  const out: Json = { description: typeof r['description'] === 'string' ? r['description'] : '' };
  if (r['headers'] !== undefined) out['headers'] = r['headers'];
  const examples = isRecord(r['examples']) ? r['examples'] : {};
  if (r['schema'] !== undefined || Object.keys(examples).length > 0) {
    const content: Json = {};
    const types = new Set([
      ...(r['schema'] !== undefined ? produces : []),
      ...Object.keys(examples),
    ]);
    for (const mt of types) {
      content[mt] = {
        ...(r['schema'] !== undefined ? { schema: r['schema'] } : {}),
        ...(examples[mt] !== undefined ? { example: examples[mt] } : {}),
      };
    }
    out['content'] = content;
  }
  return out;
}

function convertSwagger2SecurityScheme(s: Json): Json {
  if (s['type'] === 'basic')
    return { type: 'http', scheme: 'basic', description: s['description'] };
  if (s['type'] === 'oauth2') {
    const flowName =
      s['flow'] === 'accessCode'
        ? 'authorizationCode'
        : s['flow'] === 'application'
          ? 'clientCredentials'
          : String(s['flow']);
    return {
      type: 'oauth2',
      description: s['description'],
      flows: {
        [flowName]: {
          ...(s['authorizationUrl'] ? { authorizationUrl: s['authorizationUrl'] } : {}),
          ...(s['tokenUrl'] ? { tokenUrl: s['tokenUrl'] } : {}),
          scopes: isRecord(s['scopes']) ? s['scopes'] : {},
        },
      },
    };
  }
  return s;
}

/**
 * Merges the modules' specs into one OpenAPI 3.0 document describing the gateway's REST
 * pass-through: every path becomes `/{name}{basePath}{path}`, operationIds `{name}_{operationId}`
 * (or `{name}_{method}_{path}` when missing), component names `{Name}_{component}` with every
 * local `$ref` rewritten, tags `{name}_{tag}` (untagged operations get the tag `{name}`).
 * Swagger 2 documents are converted loosely (definitions, body/formData parameters, responses,
 * security definitions). Callbacks and links are kept; webhooks are dropped. Pure function.
 */
export function mergeOpenApi(
  modules: MergeOpenApiModule[],
  options: MergeOpenApiOptions = {},
): OpenApiDocument {
  const paths: Json = {};
  const components: Record<string, Json> = {};
  const tags: Json[] = [];
  const usedOperationIds = new Set<string>();

  for (const { name, document } of [...modules].sort((a, b) => a.name.localeCompare(b.name))) {
    const doc = structuredClone(document) as Json;
    const prefix = typePrefix(name);
    const swagger2 = isSwagger2(doc);
    const basePath = basePathOf(doc);
    const renamed = (n: string): string => `${prefix}_${n}`;

    // Components of this module, by OpenAPI 3 kind, before renaming.
    const own: Record<string, Json> = {};
    if (swagger2) {
      if (isRecord(doc['definitions'])) own['schemas'] = doc['definitions'];
      if (isRecord(doc['parameters'])) {
        own['parameters'] = Object.fromEntries(
          Object.entries(doc['parameters']).map(([k, p]) => [
            k,
            isRecord(p) ? convertSwagger2Parameter(p) : p,
          ]),
        );
      }
      if (isRecord(doc['responses'])) {
        const produces = asStringArray(doc['produces']) ?? ['application/json'];
        own['responses'] = Object.fromEntries(
          Object.entries(doc['responses']).map(([k, r]) => [
            k,
            isRecord(r) ? convertSwagger2Response(r, produces) : r,
          ]),
        );
      }
      if (isRecord(doc['securityDefinitions'])) {
        own['securitySchemes'] = Object.fromEntries(
          Object.entries(doc['securityDefinitions']).map(([k, s]) => [
            k,
            isRecord(s) ? convertSwagger2SecurityScheme(s) : s,
          ]),
        );
      }
    } else if (isRecord(doc['components'])) {
      for (const kind of COMPONENT_KINDS) {
        const c = doc['components'][kind];
        if (isRecord(c)) own[kind] = c;
      }
    }

    // Path renames, for operationRef pointers.
    const pathMap = new Map<string, string>();
    const srcPaths = isRecord(doc['paths']) ? doc['paths'] : {};
    for (const p of Object.keys(srcPaths))
      pathMap.set(p, `/${name}${basePath}${p.startsWith('/') ? p : `/${p}`}`);

    const rewriteRef = (ref: string): string => {
      if (!ref.startsWith('#')) {
        // 2014-style relative reference to a definition: `"$ref": "pet"`.
        if (/^[A-Za-z0-9_.-]+$/.test(ref) && isRecord(own['schemas']) && ref in own['schemas']) {
          return `#/components/schemas/${escapePointer(renamed(ref))}`;
        }
        return ref;
      }
      const tokens = ref.slice(2).split('/').map(unescapePointer);
      const [head, second, ...rest] = tokens;
      const tail = rest.length ? `/${rest.map(escapePointer).join('/')}` : '';
      if (swagger2 && second !== undefined) {
        const kind =
          head === 'definitions'
            ? 'schemas'
            : head === 'parameters'
              ? 'parameters'
              : head === 'responses'
                ? 'responses'
                : head === 'securityDefinitions'
                  ? 'securitySchemes'
                  : undefined;
        if (kind) return `#/components/${kind}/${escapePointer(renamed(second))}${tail}`;
      }
      if (head === 'components' && second !== undefined && rest.length > 0) {
        const [n, ...more] = rest;
        const moreTail = more.length ? `/${more.map(escapePointer).join('/')}` : '';
        return `#/components/${second}/${escapePointer(renamed(n ?? ''))}${moreTail}`;
      }
      if (head === 'paths' && second !== undefined) {
        const np = pathMap.get(second) ?? second;
        return `#/paths/${escapePointer(np)}${tail}`;
      }
      return ref;
    };

    const rewriteSecurity = (sec: unknown): unknown =>
      Array.isArray(sec)
        ? sec.map((req) =>
            isRecord(req)
              ? Object.fromEntries(Object.entries(req).map(([k, v]) => [renamed(k), v]))
              : req,
          )
        : sec;

    const walk = (node: unknown, parentKey?: string): unknown => {
      if (Array.isArray(node)) return node.map((n) => walk(n));
      if (!isRecord(node)) return node;
      const out: Json = {};
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string') out[k] = rewriteRef(v);
        else if (k === 'operationRef' && typeof v === 'string') out[k] = rewriteRef(v);
        else if (k === 'operationId' && typeof v === 'string' && parentKey === 'link')
          out[k] = `${name}_${v}`;
        else if (k === 'mapping' && isRecord(v) && parentKey === 'discriminator') {
          out[k] = Object.fromEntries(
            Object.entries(v).map(([mk, mv]) => [mk, typeof mv === 'string' ? rewriteRef(mv) : mv]),
          );
        } else if (k === 'links' && isRecord(v)) {
          out[k] = Object.fromEntries(Object.entries(v).map(([lk, lv]) => [lk, walk(lv, 'link')]));
        } else out[k] = walk(v, k);
      }
      return out;
    };

    for (const [kind, entries] of Object.entries(own)) {
      components[kind] ??= {};
      const target = components[kind];
      for (const [n, value] of Object.entries(entries)) {
        target[renamed(n)] = walk(value, kind === 'links' ? 'link' : undefined);
      }
    }

    const moduleTags = new Set<string>();
    const globalSecurity = doc['security'];
    for (const [p, item] of Object.entries(srcPaths)) {
      if (!isRecord(item)) continue;
      const newItem: Json = {};
      for (const [key, value] of Object.entries(item)) {
        if (!isHttpMethod(key.toLowerCase()) || !isRecord(value)) {
          if (key === 'parameters' && Array.isArray(value) && swagger2) {
            newItem[key] = walk(
              value.map((x) =>
                isRecord(x) && !x['$ref'] && x['in'] !== 'body' ? convertSwagger2Parameter(x) : x,
              ),
            );
          } else if (key !== 'servers') {
            newItem[key] = walk(value, key);
          }
          continue;
        }
        const method = key.toLowerCase();
        let op: Json = swagger2 ? convertSwagger2Operation(value, doc) : { ...value };
        const original =
          typeof op['operationId'] === 'string' && op['operationId']
            ? op['operationId']
            : operationIdFromPath(method, p);
        let opId = `${name}_${original}`;
        for (let i = 2; usedOperationIds.has(opId); i++) opId = `${name}_${original}_${i}`;
        usedOperationIds.add(opId);
        op['operationId'] = opId;
        const opTags =
          Array.isArray(op['tags']) && op['tags'].length > 0 ? op['tags'].map(String) : [];
        op['tags'] = opTags.length ? opTags.map((t) => `${name}_${t}`) : [name];
        for (const t of op['tags'] as string[]) moduleTags.add(t);
        if (op['security'] === undefined && globalSecurity !== undefined)
          op['security'] = globalSecurity;
        if (op['security'] !== undefined) op['security'] = rewriteSecurity(op['security']);
        delete op['servers'];
        op = walk(op) as Json;
        newItem[method] = op;
      }
      paths[pathMap.get(p) ?? p] = newItem;
    }

    const declared = new Map<string, Json>();
    if (Array.isArray(doc['tags'])) {
      for (const t of doc['tags'])
        if (isRecord(t) && typeof t['name'] === 'string') declared.set(`${name}_${t['name']}`, t);
    }
    for (const t of [...moduleTags].sort()) {
      const src = declared.get(t);
      tags.push({
        ...(src ?? {}),
        name: t,
        ...(src ? {} : t === name ? { description: `Operations of module ${name}` } : {}),
      });
    }
  }

  const out: Json = {
    openapi: '3.0.3',
    info: {
      title: options.title ?? 'BiFrost unified REST API',
      version: options.version ?? '1.0.0',
    },
    ...(options.gatewayUrl ? { servers: [{ url: options.gatewayUrl.replace(/\/+$/, '') }] } : {}),
    tags,
    paths,
  };
  const nonEmpty = Object.fromEntries(
    Object.entries(components).filter(([, v]) => Object.keys(v).length > 0),
  );
  if (Object.keys(nonEmpty).length > 0) out['components'] = nonEmpty;
  return out;
}
