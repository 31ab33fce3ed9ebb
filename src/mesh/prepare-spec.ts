import { sanitizeNameForGraphQL } from '@graphql-mesh/utils';
import {
  isHttpMethod,
  isOpenApi3,
  isRecord,
  isSwagger2,
  type OpenApiDocument,
} from '../discovery/openapi-document.js';

type Json = Record<string, unknown>;

export interface PreparedSpec {
  /** A copy of the document, safe and complete enough for omnigraph. */
  document: OpenApiDocument;
  warnings: string[];
  /** Callback names removed from operations (not exposed). */
  callbacks: string[];
  /** Webhook names of an OpenAPI 3.1 document (not exposed). */
  webhooks: string[];
  /** Number of operations under `paths`. */
  operationCount: number;
}

/**
 * Readable field name for an operation without operationId, in the style omnigraph uses:
 * `GET /estimates/price` -> `estimates_price`, `POST /streams` -> `post_streams`,
 * `GET /pets/{id}` -> `pets_by_id`, `GET /` -> `root`.
 */
export function fieldNameFromPath(method: string, path: string): string {
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((seg) =>
      seg
        .replace(/\{([^}]*)\}/g, 'by_$1')
        .replace(/[^A-Za-z0-9_]+/g, '_')
        .replace(/^_+|_+$/g, ''),
    )
    .filter(Boolean);
  const base = parts.length > 0 ? parts.join('_') : 'root';
  const m = method.toLowerCase();
  return m === 'get' ? base : `${m}_${base}`;
}

/**
 * Prepares a module's spec for GraphQL Mesh's OpenAPI loader (works on a deep copy):
 *
 * - `swagger: 2.0` written as a number (2014 revisions) becomes the string `"2.0"`.
 * - `$ref`s: 2014-style bare names (`"$ref": "pet"`) become local references; any other non-local
 *   reference (another file or URL) is replaced by an untyped schema with a warning, so the
 *   loader never reads local files or fetches URLs named by a module's spec.
 * - Every operation gets a unique, readable operationId. The loader names fields after the
 *   operationId; without one it names them from the path only while looking at `responses`, so an
 *   operation with neither got the field name `undefined`.
 * - Swagger 2 array query parameters: `collectionFormat: csv` (the default) is sent `ids=1,2`
 *   (the loader would repeat `ids=1&ids=2`), `multi` stays repeated.
 * - Callbacks are removed (the loader would make subscriptions that nothing feeds) and reported.
 */
export function prepareSpec(source: OpenApiDocument): PreparedSpec {
  const doc = structuredClone(source) as Json;
  const warnings: string[] = [];
  const callbacks: string[] = [];
  const swagger2 = isSwagger2(doc);
  if (swagger2) doc['swagger'] = '2.0';
  else if (isOpenApi3(doc) && typeof doc['openapi'] === 'number')
    doc['openapi'] = `${doc['openapi'].toFixed(1)}.0`;

  const schemaNames = new Set(
    Object.keys(
      ((swagger2
        ? doc['definitions']
        : isRecord(doc['components'])
          ? doc['components']['schemas']
          : undefined) as Json | undefined) ?? {},
    ),
  );
  const externalRefs = new Set<string>();
  const brokenRefs = new Set<string>();
  const fixRefs = (node: unknown): unknown => {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) node[i] = fixRefs(node[i]);
      return node;
    }
    if (!isRecord(node)) return node;
    const ref = node['$ref'];
    if (typeof ref === 'string' && ref.startsWith('#') && resolvePointer(doc, ref) === undefined) {
      brokenRefs.add(ref);
      return { description: `Unresolved reference ${ref}` };
    }
    if (typeof ref === 'string' && !ref.startsWith('#')) {
      if (schemaNames.has(ref)) {
        node['$ref'] = swagger2 ? `#/definitions/${ref}` : `#/components/schemas/${ref}`;
      } else {
        externalRefs.add(ref);
        return { description: `Unresolved external reference ${ref}` };
      }
    }
    for (const [k, v] of Object.entries(node)) node[k] = fixRefs(v);
    return node;
  };
  fixRefs(doc);
  if (brokenRefs.size > 0) {
    warnings.push(`unresolvable $ref(s) typed as JSON: ${[...brokenRefs].slice(0, 5).join(', ')}`);
  }
  if (externalRefs.size > 0) {
    warnings.push(
      `external $ref(s) not followed, typed as JSON: ${[...externalRefs].slice(0, 5).join(', ')}${externalRefs.size > 5 ? ', ...' : ''}`,
    );
  }

  const paths = isRecord(doc['paths']) ? doc['paths'] : {};
  if (doc['paths'] !== undefined && !isRecord(doc['paths'])) doc['paths'] = {};
  // Field names taken so far (sanitized, as the loader will sanitize them).
  const taken = new Set<string>();
  const pending: Array<{ op: Json; method: string; path: string }> = [];
  let operationCount = 0;
  const csvWarnings = new Set<string>();

  const fixArrayParams = (params: unknown): void => {
    if (!swagger2 || !Array.isArray(params)) return;
    for (const p of params) {
      if (!isRecord(p) || p['in'] !== 'query' || p['type'] !== 'array') continue;
      const fmt = p['collectionFormat'] ?? 'csv';
      if (fmt === 'csv') {
        p['explode'] = false;
        p['style'] = 'form';
      } else if (fmt === 'multi') {
        p['explode'] = true;
      } else {
        csvWarnings.add(`${String(p['name'])} (${String(fmt)})`);
      }
    }
  };
  if (isRecord(doc['parameters'])) fixArrayParams(Object.values(doc['parameters']));

  for (const [path, item] of Object.entries(paths)) {
    if (!isRecord(item)) {
      delete paths[path];
      continue;
    }
    if (item['parameters'] !== undefined) {
      item['parameters'] = usableParameters(doc, item['parameters'], path, warnings);
    }
    fixArrayParams(item['parameters']);
    for (const [key, op] of Object.entries(item)) {
      if (!isHttpMethod(key.toLowerCase())) {
        continue;
      }
      if (!isRecord(op)) {
        delete item[key];
        continue;
      }
      operationCount++;
      const where = `${key.toUpperCase()} ${path}`;
      op['parameters'] = usableParameters(doc, op['parameters'], where, warnings);
      if (!isRecord(op['responses'])) delete op['responses'];
      if (swagger2) {
        // The loader only reads operation-level consumes/produces.
        if (op['consumes'] === undefined && Array.isArray(doc['consumes']))
          op['consumes'] = doc['consumes'];
        if (op['produces'] === undefined && Array.isArray(doc['produces']))
          op['produces'] = doc['produces'];
      }
      fixArrayParams(op['parameters']);
      if (isRecord(op['callbacks'])) {
        for (const name of Object.keys(op['callbacks'])) callbacks.push(name);
        delete op['callbacks'];
      }
      const id = typeof op['operationId'] === 'string' ? op['operationId'].trim() : '';
      const sanitized = id ? sanitizeNameForGraphQL(id) : '';
      if (sanitized && !taken.has(sanitized)) {
        taken.add(sanitized);
      } else {
        if (sanitized)
          warnings.push(`duplicate operationId '${id}' (${key.toUpperCase()} ${path}) renamed`);
        pending.push({ op, method: key, path });
      }
    }
  }
  for (const { op, method, path } of pending) {
    const base = sanitizeNameForGraphQL(
      typeof op['operationId'] === 'string' && op['operationId'].trim()
        ? op['operationId']
        : fieldNameFromPath(method, path),
    );
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    op['operationId'] = name;
  }
  if (csvWarnings.size > 0) {
    warnings.push(
      `array query parameter format(s) not supported, sent as repeated parameters: ${[...csvWarnings].join(', ')}`,
    );
  }
  if (callbacks.length > 0) {
    warnings.push(
      `callback(s) not exposed (the gateway only calls the module): ${callbacks.join(', ')}`,
    );
  }
  const webhooks = isRecord(doc['webhooks']) ? Object.keys(doc['webhooks']) : [];
  delete doc['webhooks'];
  return { document: doc, warnings, callbacks, webhooks, operationCount };
}

function resolvePointer(doc: unknown, ref: string): unknown {
  let cur = doc;
  for (const raw of ref.replace(/^#\/?/, '').split('/')) {
    if (raw === '') continue;
    let token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    try {
      token = decodeURIComponent(token);
    } catch {
      // keep as written
    }
    if (Array.isArray(cur)) cur = cur[Number(token)];
    else if (isRecord(cur)) cur = cur[token];
    else return undefined;
  }
  return cur;
}

/** Parameters the loader can use (objects with `name` and `in`, refs resolved for the check). */
function usableParameters(
  doc: Json,
  params: unknown,
  where: string,
  warnings: string[],
): unknown[] {
  if (params === undefined) return [];
  if (!Array.isArray(params)) {
    warnings.push(`${where}: \`parameters\` is not a list, ignored`);
    return [];
  }
  return params.filter((p) => {
    const resolved =
      isRecord(p) && typeof p['$ref'] === 'string' ? resolvePointer(doc, p['$ref']) : p;
    const ok =
      isRecord(resolved) &&
      typeof resolved['name'] === 'string' &&
      typeof resolved['in'] === 'string';
    if (!ok)
      warnings.push(`${where}: unusable parameter ${JSON.stringify(p).slice(0, 80)} ignored`);
    return ok;
  });
}
