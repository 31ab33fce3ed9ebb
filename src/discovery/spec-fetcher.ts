import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BifrostError, isBifrostError } from '../core/errors.js';
import { assertSpecDocument, isRecord, type OpenApiDocument } from './openapi-document.js';

/** Largest spec accepted, in bytes (default of `FetchSpecOptions.maxBytes`). */
export const DEFAULT_MAX_SPEC_BYTES = 10 * 1024 * 1024;
const MAX_REDIRECTS = 5;

export interface FetchSpecOptions {
  /** Module base URL, e.g. `http://documents:8080`. */
  endpoint: string;
  /** Path of the spec below `endpoint`, e.g. `/docs`. */
  docsPath: string;
  /**
   * Explicit spec location overriding `endpoint + docsPath`: an absolute http(s) URL, or a local
   * file path (modules declared in `.meshrc.yml`; relative paths are resolved against `cwd`).
   */
  specSource?: string | null;
  /** Deadline for the whole fetch (all fallbacks and redirects included). */
  timeoutMs: number;
  /** Largest accepted document in bytes. Default 10 MB. */
  maxBytes?: number;
  /** Directory for relative `specSource` file paths. Default `process.cwd()`. */
  cwd?: string;
  /** Fetch implementation (tests). Default: the global `fetch`. */
  fetch?: typeof fetch;
}

export interface FetchedSpec {
  document: OpenApiDocument;
  /** sha256 (hex) of the canonical JSON of `document`. */
  hash: string;
  /** `info.version` as a string, or null. */
  version: string | null;
  /** Where the document was finally read from (URL, or `file://` URL for local files). */
  url: string;
}

/**
 * Parses a spec given as text, JSON or YAML decided by content (content-types are often wrong),
 * and checks that it is a Swagger 2.0 / OpenAPI 3.x object. Throws `SPEC_INVALID`.
 */
export function parseSpecText(text: string, where?: string): OpenApiDocument {
  const prefix = where ? `${where}: ` : '';
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') throw new BifrostError('SPEC_INVALID', `${prefix}empty document`);
  let doc: unknown;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      doc = JSON.parse(trimmed);
    } catch (err) {
      throw new BifrostError('SPEC_INVALID', `${prefix}invalid JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
  } else if (trimmed.startsWith('<')) {
    throw new BifrostError(
      'SPEC_INVALID',
      `${prefix}got an HTML/XML page, not a Swagger/OpenAPI document`,
    );
  } else {
    try {
      // maxAliasCount guards against alias bombs ("billion laughs").
      // logLevel 'error': a module's odd YAML must not print process warnings; errors still throw.
      doc = parseYaml(trimmed, { maxAliasCount: 100, prettyErrors: true, logLevel: 'error' });
    } catch (err) {
      throw new BifrostError(
        'SPEC_INVALID',
        `${prefix}invalid YAML: ${(err as Error).message.split('\n')[0]}`,
        {
          cause: err,
        },
      );
    }
  }
  assertSpecDocument(doc, where);
  return doc;
}

function canonicalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : canonicalize(v)));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = value[key];
      if (v !== undefined) out[key] = canonicalize(v);
    }
    return out;
  }
  return value;
}

/** sha256 (hex) of the JSON of `doc` with object keys sorted at every level. */
export function canonicalHash(doc: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(canonicalize(doc)) ?? 'null')
    .digest('hex');
}

/** `info.version` as a string (numbers are kept as written), or null. */
export function specVersionOf(doc: OpenApiDocument): string | null {
  const info = doc['info'];
  if (!isRecord(info)) return null;
  const v = info['version'];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

function result(document: OpenApiDocument, url: string): FetchedSpec {
  return { document, hash: canonicalHash(document), version: specVersionOf(document), url };
}

function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: string }).code;
    return code ? `${code} ${cause.message}` : cause.message;
  }
  return err.message;
}

/** A failed attempt at one URL: whether trying the next fallback URL makes sense. */
class AttemptFailure {
  constructor(
    readonly error: BifrostError,
    readonly tryNext: boolean,
  ) {}
}

async function readBodyLimited(res: Response, url: string, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new BifrostError(
      'SPEC_INVALID',
      `spec at ${url} is too large (${declared} bytes, limit ${maxBytes})`,
    );
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new BifrostError(
        'SPEC_INVALID',
        `spec at ${url} is too large (more than ${maxBytes} bytes)`,
      );
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** GET one URL, following same-origin redirects only. */
async function attempt(
  startUrl: string,
  opts: { fetchFn: typeof fetch; signal: AbortSignal; timeoutMs: number; maxBytes: number },
): Promise<FetchedSpec> {
  let url = startUrl;
  const origin = new URL(startUrl).origin;
  for (let hop = 0; ; hop++) {
    let res: Response;
    try {
      res = await opts.fetchFn(url, {
        method: 'GET',
        redirect: 'manual',
        signal: opts.signal,
        headers: { accept: 'application/json, application/yaml;q=0.9, text/yaml;q=0.9, */*;q=0.5' },
      });
    } catch (err) {
      const timedOut = opts.signal.aborted;
      const msg = timedOut
        ? `spec at ${url} not received within ${opts.timeoutMs} ms`
        : `cannot fetch spec at ${url}: ${describeCause(err)}`;
      throw new AttemptFailure(new BifrostError('SPEC_UNREACHABLE', msg, { cause: err }), false);
    }
    if (res.status >= 300 && res.status < 400 && res.status !== 304) {
      await res.body?.cancel().catch(() => {});
      const location = res.headers.get('location');
      if (!location) {
        throw new AttemptFailure(
          new BifrostError(
            'SPEC_UNREACHABLE',
            `spec at ${url}: HTTP ${res.status} without a Location header`,
          ),
          true,
        );
      }
      const next = new URL(location, url);
      if (next.origin !== origin) {
        throw new AttemptFailure(
          new BifrostError(
            'SPEC_UNREACHABLE',
            `spec at ${url} redirects to another host (${next.origin}); redirects are only followed on ${origin}`,
          ),
          false,
        );
      }
      if (hop >= MAX_REDIRECTS) {
        throw new AttemptFailure(
          new BifrostError('SPEC_UNREACHABLE', `spec at ${startUrl}: too many redirects`),
          false,
        );
      }
      url = next.toString();
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new AttemptFailure(
        new BifrostError(
          'SPEC_UNREACHABLE',
          `spec at ${url} answered HTTP ${res.status} ${res.statusText}`.trim(),
        ),
        res.status === 404 || res.status === 405 || res.status === 406 || res.status === 410,
      );
    }
    let text: string;
    try {
      text = await readBodyLimited(res, url, opts.maxBytes);
    } catch (err) {
      if (isBifrostError(err)) throw new AttemptFailure(err, false);
      const msg = opts.signal.aborted
        ? `spec at ${url} not received within ${opts.timeoutMs} ms`
        : `cannot read spec at ${url}: ${describeCause(err)}`;
      throw new AttemptFailure(new BifrostError('SPEC_UNREACHABLE', msg, { cause: err }), false);
    }
    try {
      return result(parseSpecText(text, `spec at ${url}`), url);
    } catch (err) {
      // A docs page (Swagger UI HTML) at docsPath is common: try the JSON fallbacks.
      throw new AttemptFailure(err as BifrostError, true);
    }
  }
}

async function readLocalSpec(path: string, cwd: string, maxBytes: number): Promise<FetchedSpec> {
  const file = isAbsolute(path) ? path : resolvePath(cwd, path);
  try {
    const info = await stat(file);
    if (info.size > maxBytes) {
      throw new BifrostError(
        'SPEC_INVALID',
        `spec file ${file} is too large (${info.size} bytes, limit ${maxBytes})`,
      );
    }
    const text = await readFile(file, 'utf8');
    return result(parseSpecText(text, `spec file ${file}`), `file://${file}`);
  } catch (err) {
    if (isBifrostError(err)) throw err;
    throw new BifrostError(
      'SPEC_UNREACHABLE',
      `cannot read spec file ${file}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

function joinUrl(endpoint: string, path: string): string {
  const base = endpoint.replace(/\/+$/, '');
  if (path === '' || path === '/') return `${base}${path}`;
  return `${base}/${path.replace(/^\/+/, '')}`;
}

/** URLs tried in order for a module serving its spec at `endpoint + docsPath`. */
export function candidateSpecUrls(endpoint: string, docsPath: string): string[] {
  const primary = joinUrl(endpoint, docsPath || '/docs');
  if (/\.(json|ya?ml)$/i.test(docsPath)) return [primary];
  const dir = primary.replace(/\/+$/, '');
  return [primary, `${dir}/swagger.json`, `${dir}/openapi.json`];
}

/**
 * Fetches and parses a module's Swagger/OpenAPI document.
 *
 * Tries `{endpoint}{docsPath}`, then `{docsPath}/swagger.json` and `{docsPath}/openapi.json` (when
 * the first answers 404/405/406/410 or something that is not a spec, such as a Swagger UI page).
 * `specSource` overrides all of that. Redirects are followed on the same origin only, so a module
 * cannot make the gateway fetch from another host.
 *
 * Throws `BifrostError('SPEC_UNREACHABLE')` for network errors, timeouts and HTTP errors, and
 * `BifrostError('SPEC_INVALID')` for documents that cannot be parsed or are not Swagger/OpenAPI.
 */
export async function fetchSpec(options: FetchSpecOptions): Promise<FetchedSpec> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SPEC_BYTES;
  const source = options.specSource?.trim();
  let urls: string[];
  if (source) {
    if (/^https?:\/\//i.test(source)) {
      urls = [source];
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) && !/^file:\/\//i.test(source)) {
      throw new BifrostError(
        'SPEC_UNREACHABLE',
        `unsupported spec source ${source} (use http(s) URL or a file path)`,
      );
    } else {
      const path = source.replace(/^file:\/\//i, '');
      return readLocalSpec(path, options.cwd ?? process.cwd(), maxBytes);
    }
  } else {
    try {
      new URL(options.endpoint);
    } catch {
      throw new BifrostError(
        'SPEC_UNREACHABLE',
        `invalid module endpoint ${JSON.stringify(options.endpoint)}`,
      );
    }
    urls = candidateSpecUrls(options.endpoint, options.docsPath);
  }

  const signal = AbortSignal.timeout(options.timeoutMs);
  const ctx = { fetchFn: options.fetch ?? fetch, signal, timeoutMs: options.timeoutMs, maxBytes };
  const failures: BifrostError[] = [];
  for (const url of urls) {
    try {
      return await attempt(url, ctx);
    } catch (err) {
      if (!(err instanceof AttemptFailure)) {
        throw new BifrostError(
          'SPEC_UNREACHABLE',
          `cannot fetch spec at ${url}: ${describeCause(err)}`,
          { cause: err },
        );
      }
      failures.push(err.error);
      if (!err.tryNext) break;
    }
  }
  // Prefer telling about a document that exists but is invalid over the 404s of the fallbacks.
  const invalid = failures.find((f) => f.code === 'SPEC_INVALID');
  if (invalid) throw invalid;
  if (failures.length === 1) throw failures[0]!;
  throw new BifrostError('SPEC_UNREACHABLE', failures.map((f) => f.message).join('; '), {
    details: { tried: urls.slice(0, failures.length) },
  });
}
