import {
  isHttpMethod,
  isOpenApi3,
  isRecord,
  isSwagger2,
  type HttpMethod,
  type OpenApiDocument,
} from './openapi-document.js';

/** One callable operation of a spec. */
export interface SpecOperation {
  /** Lower-case HTTP method. */
  method: HttpMethod;
  /** Path template as written in the spec, relative to `basePath`, e.g. `/pets/{id}`. */
  path: string;
  operationId: string | null;
  /** Base path of the spec (`''` when none), e.g. `/api`. */
  basePath: string;
}

/** A matched request: the operation, and the path to call below the module's endpoint. */
export interface OperationMatch extends SpecOperation {
  /** Always `basePath + <concrete path>`, whichever form the request used. */
  upstreamPath: string;
  /** Values of the template's path parameters (decoded). */
  params: Record<string, string>;
}

function normalizeBasePath(path: string): string {
  let p = path.trim();
  if (p === '' || p === '/') return '';
  if (!p.startsWith('/')) p = `/${p}`;
  return p.replace(/\/+$/, '');
}

/**
 * Base path of a spec, without trailing slash (`''` for none): Swagger 2 `basePath`, or the path
 * part of OpenAPI 3 `servers[0].url` with server variables replaced by their defaults (absolute or
 * relative URLs). The spec's host is never used: calls go to the module's registered endpoint.
 */
export function basePathOf(doc: OpenApiDocument): string {
  if (isSwagger2(doc)) {
    return typeof doc['basePath'] === 'string' ? normalizeBasePath(doc['basePath']) : '';
  }
  const servers = doc['servers'];
  if (!Array.isArray(servers) || !isRecord(servers[0])) return '';
  const server = servers[0];
  if (typeof server['url'] !== 'string') return '';
  const variables = isRecord(server['variables']) ? server['variables'] : {};
  const url = server['url'].replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const v = variables[name];
    const def = isRecord(v) ? v['default'] : undefined;
    return def === undefined || def === null ? '' : String(def);
  });
  let path: string;
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(.*)$/i.exec(url) ?? /^\/\/[^/]*(.*)$/.exec(url);
  if (abs) {
    path = abs[1] ?? '';
  } else {
    path = url;
  }
  path = path.split(/[?#]/)[0] ?? '';
  try {
    path = decodeURI(path);
  } catch {
    // keep as written
  }
  return normalizeBasePath(path);
}

/** Every operation of `paths` (callbacks and webhooks are not callable and not listed). */
export function listOperations(doc: OpenApiDocument): SpecOperation[] {
  const basePath = basePathOf(doc);
  const paths = doc['paths'];
  if (!isRecord(paths)) return [];
  const out: SpecOperation[] = [];
  for (const [path, item] of Object.entries(paths)) {
    if (!isRecord(item) || !path.startsWith('/')) continue;
    for (const [key, op] of Object.entries(item)) {
      const method = key.toLowerCase();
      if (!isHttpMethod(method) || !isRecord(op)) continue;
      const operationId =
        typeof op['operationId'] === 'string' && op['operationId'] !== ''
          ? op['operationId']
          : null;
      out.push({ method, path, operationId, basePath });
    }
  }
  return out;
}

export interface SpecAnalysis {
  operationCount: number;
  webhookCount: number;
  callbackCount: number;
  /** Readable warnings for the module's status. */
  warnings: string[];
}

/** Counts what a spec offers and says what will not be usable. */
export function analyzeSpec(doc: OpenApiDocument): SpecAnalysis {
  const operations = listOperations(doc);
  const warnings: string[] = [];
  const webhooks = isRecord(doc['webhooks']) ? Object.keys(doc['webhooks']) : [];
  let callbackCount = 0;
  const paths = isRecord(doc['paths']) ? doc['paths'] : {};
  for (const item of Object.values(paths)) {
    if (!isRecord(item)) continue;
    for (const op of Object.values(item)) {
      if (isRecord(op) && isRecord(op['callbacks']))
        callbackCount += Object.keys(op['callbacks']).length;
    }
  }
  if (operations.length === 0) {
    if (webhooks.length > 0) {
      warnings.push(
        `document has ${webhooks.length} webhook(s) (${webhooks.join(', ')}) but no paths: nothing callable`,
      );
    } else {
      warnings.push('document has no operations under `paths`: nothing callable');
    }
  } else if (webhooks.length > 0) {
    warnings.push(
      `${webhooks.length} webhook(s) (${webhooks.join(', ')}) are not exposed: the gateway only calls the module`,
    );
  }
  if (callbackCount > 0) {
    warnings.push(
      `${callbackCount} callback(s) are not exposed: the gateway only calls the module`,
    );
  }
  if (!isSwagger2(doc) && !isOpenApi3(doc)) warnings.push('unknown document version');
  return {
    operationCount: operations.length,
    webhookCount: webhooks.length,
    callbackCount,
    warnings,
  };
}

interface CompiledTemplate {
  op: SpecOperation;
  regex: RegExp;
  paramNames: string[];
  literalLength: number;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compileTemplate(op: SpecOperation): CompiledTemplate {
  const paramNames: string[] = [];
  let literalLength = 0;
  let source = '';
  const template = op.path.replace(/\/+$/, '');
  let last = 0;
  for (const m of template.matchAll(/\{([^}]+)\}/g)) {
    const literal = template.slice(last, m.index);
    source += escapeRegex(literal);
    literalLength += literal.length;
    // A parameter matches within one segment only.
    source += '([^/]+)';
    paramNames.push(m[1] ?? '');
    last = (m.index ?? 0) + m[0].length;
  }
  const tail = template.slice(last);
  source += escapeRegex(tail);
  literalLength += tail.length;
  return { op, regex: new RegExp(`^${source}/?$`), paramNames, literalLength };
}

/**
 * Returns a matcher of concrete request paths against the spec's operations.
 *
 * The REST pass-through maps `/{module}/X` to `{endpoint}/X`, and a module serves its operations
 * at `basePath + template`. The matcher accepts both forms of X:
 * - `basePath + template` (what the module really serves; tried first), and
 * - `template` alone (clients that read the spec's paths literally).
 * Either way, `upstreamPath` is `basePath + concrete path`, so the proxy always calls the module
 * where it serves the operation. A trailing slash is tolerated; a path parameter matches exactly
 * one segment; among several matches the template with the most literal characters wins
 * (`/pets/mine` over `/pets/{id}`). The method is compared case-insensitively.
 */
export function createOperationMatcher(
  doc: OpenApiDocument,
): (method: string, pathBelowModulePrefix: string) => OperationMatch | null {
  const compiled = listOperations(doc)
    .map(compileTemplate)
    .sort((a, b) => b.literalLength - a.literalLength || a.paramNames.length - b.paramNames.length);
  const basePath = basePathOf(doc);

  const matchPath = (method: string, path: string): OperationMatch | null => {
    for (const c of compiled) {
      if (c.op.method !== method) continue;
      const m = c.regex.exec(path === '' ? '/' : path);
      if (!m) continue;
      const params: Record<string, string> = {};
      c.paramNames.forEach((name, i) => {
        const raw = m[i + 1] ?? '';
        try {
          params[name] = decodeURIComponent(raw);
        } catch {
          params[name] = raw;
        }
      });
      return { ...c.op, params, upstreamPath: `${basePath}${path === '' ? '/' : path}` };
    }
    return null;
  };

  // Recently matched request paths (the same few paths are asked for over and over).
  const cache = new Map<string, OperationMatch | null>();
  const cached = (method: string, rawPath: string): OperationMatch | null => {
    const key = `${method} ${rawPath}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const result = match(method, rawPath);
    if (cache.size >= 1000) cache.delete(cache.keys().next().value as string);
    cache.set(key, result);
    return result;
  };

  const match = (method: string, rawPath: string): OperationMatch | null => {
    const m = method.toLowerCase();
    let path = (rawPath.split(/[?#]/)[0] ?? '').replace(/\/{2,}/g, '/');
    if (!path.startsWith('/')) path = `/${path}`;
    if (basePath !== '' && (path === basePath || path.startsWith(`${basePath}/`))) {
      const below = path.slice(basePath.length);
      const hit = matchPath(m, below === '' ? '/' : below);
      if (hit) return hit;
    }
    return matchPath(m, path);
  };
  return cached;
}
