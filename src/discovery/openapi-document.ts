import { BifrostError } from '../core/errors.js';

/** A parsed Swagger 2.0 / OpenAPI 3.x document (validated only at the top level). */
export type OpenApiDocument = Record<string, unknown>;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Swagger 2.0. The 2014 revisions of some public specs write `swagger: 2.0` as a number, so a
 * numeric 2 is accepted too.
 */
export function isSwagger2(doc: OpenApiDocument): boolean {
  return doc['swagger'] === '2.0' || doc['swagger'] === 2;
}

/** OpenAPI 3.x (a YAML `openapi: 3.0` without quotes parses as a number, accepted too). */
export function isOpenApi3(doc: OpenApiDocument): boolean {
  const v = doc['openapi'];
  if (typeof v === 'string') return /^3\.\d+(\.\d+)?(-.+)?$/.test(v.trim());
  return typeof v === 'number' && v >= 3 && v < 4;
}

/** Why `doc` is not a usable Swagger/OpenAPI document, or null when it is one. */
export function specDocumentProblem(doc: unknown): string | null {
  if (!isRecord(doc)) {
    return `expected a JSON/YAML object, got ${Array.isArray(doc) ? 'an array' : doc === null ? 'null' : typeof doc}`;
  }
  if (isSwagger2(doc) || isOpenApi3(doc)) {
    if (doc['paths'] !== undefined && !isRecord(doc['paths'])) return '`paths` must be an object';
    return null;
  }
  if ('swagger' in doc)
    return `unsupported swagger version ${JSON.stringify(doc['swagger'])} (only 2.0)`;
  if ('openapi' in doc)
    return `unsupported openapi version ${JSON.stringify(doc['openapi'])} (only 3.x)`;
  return 'not a Swagger/OpenAPI document (no `swagger: "2.0"` or `openapi: 3.x` field)';
}

/** Throws `SPEC_INVALID` unless `doc` is a Swagger 2.0 / OpenAPI 3.x object. */
export function assertSpecDocument(doc: unknown, where?: string): asserts doc is OpenApiDocument {
  const problem = specDocumentProblem(doc);
  if (problem !== null) {
    throw new BifrostError('SPEC_INVALID', where ? `${where}: ${problem}` : problem);
  }
}

/** HTTP methods that can hold an operation in a path item. */
export const HTTP_METHODS = [
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'trace',
] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export function isHttpMethod(key: string): key is HttpMethod {
  return (HTTP_METHODS as readonly string[]).includes(key);
}
