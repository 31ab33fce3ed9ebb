/**
 * The one table of error codes. Every error a client can see carries one of these codes:
 * GraphQL errors in `extensions.code`, REST/admin errors as `{ error: { code, message } }`.
 */
export const ErrorCodes = {
  UNAUTHENTICATED: { status: 401, message: 'Missing or invalid bearer token' },
  FORBIDDEN: { status: 403, message: 'The token lacks the permission this route needs' },
  NOT_FOUND: { status: 404, message: 'No such route' },
  MODULE_NOT_FOUND: { status: 404, message: 'No logic module with that name' },
  ENDPOINT_NOT_FOUND: { status: 404, message: 'Endpoint not found' },
  JOIN_NOT_FOUND: { status: 404, message: 'No join with that name' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed on this route' },
  BAD_REQUEST: { status: 400, message: 'The request is malformed' },
  VALIDATION_FAILED: { status: 400, message: 'The payload is invalid' },
  CONFLICT: { status: 409, message: 'A resource with that name already exists' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type' },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  QUERY_TOO_DEEP: { status: 400, message: 'The GraphQL document is nested too deeply' },
  TOO_MANY_ALIASES: { status: 400, message: 'The GraphQL document uses too many aliases' },
  QUERY_TOO_COMPLEX: { status: 400, message: 'The GraphQL document is too expensive' },
  ENDPOINT_NOT_ALLOWED: { status: 400, message: 'The module endpoint is not in the allow-list' },
  MODULE_UNREACHABLE: { status: 502, message: 'The logic module could not be reached' },
  MODULE_DISABLED: { status: 503, message: 'The logic module is disabled' },
  MODULE_UNAVAILABLE: { status: 503, message: 'The logic module has no usable specification' },
  UPSTREAM_TIMEOUT: { status: 504, message: 'The logic module did not answer in time' },
  UPSTREAM_ERROR: { status: 502, message: 'The logic module answered with an error' },
  UPSTREAM_RESPONSE_TOO_LARGE: { status: 502, message: 'The logic module answer is too large' },
  SPEC_UNREACHABLE: { status: 502, message: 'The module specification could not be fetched' },
  SPEC_INVALID: {
    status: 422,
    message: 'The module specification is not a usable Swagger/OpenAPI document',
  },
  SPEC_INCOMPATIBLE: {
    status: 409,
    message: 'The new module specification breaks stored joins; the previous one is still served',
  },
  JOIN_FAILED: { status: 502, message: 'A joined field could not be resolved' },
  JOIN_LIMIT_EXCEEDED: {
    status: 400,
    message: 'A joined field would fetch more records than one request may',
  },
  JOIN_INVALID: { status: 400, message: 'The join definition does not fit the schema' },
  SCHEMA_NOT_READY: { status: 503, message: 'The schema has not been built yet' },
  REGISTRY_UNAVAILABLE: {
    status: 503,
    message: 'The registry database is unreachable; the last schema is still served',
  },
  GRAPHQL_PARSE_FAILED: { status: 400, message: 'The GraphQL document could not be parsed' },
  GRAPHQL_VALIDATION_FAILED: {
    status: 400,
    message: 'The GraphQL document is not valid against the schema',
  },
  BAD_USER_INPUT: { status: 400, message: 'Invalid variables or arguments' },
  INTERNAL_SERVER_ERROR: { status: 500, message: 'Unexpected error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

/** An error with a code from the table; safe to show to clients. */
export class BifrostError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, options?: { details?: unknown; cause?: unknown }) {
    super(message ?? ErrorCodes[code].message, { cause: options?.cause });
    this.name = 'BifrostError';
    this.code = code;
    this.status = ErrorCodes[code].status;
    this.details = options?.details;
  }

  /** JSON body for REST and admin routes. */
  toJSON(): { error: { code: ErrorCode; message: string; details?: unknown } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export function isBifrostError(err: unknown): err is BifrostError {
  return err instanceof BifrostError;
}
