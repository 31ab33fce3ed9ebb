import type { IncomingMessage, ServerResponse } from 'node:http';
import { BifrostError, isBifrostError } from '../core/errors.js';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Sends a table error as `{ error: { code, message, details? } }` with its status. */
export function sendError(
  res: ServerResponse,
  err: BifrostError,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  sendJson(res, err.status, err.toJSON(), headers);
}

/** Reads a whole request body, refusing more than `limit` bytes with PAYLOAD_TOO_LARGE. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    throw new BifrostError('PAYLOAD_TOO_LARGE', `Request body is larger than ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit)
      throw new BifrostError('PAYLOAD_TOO_LARGE', `Request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads and parses a JSON body; BAD_REQUEST when it is not JSON. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const ct = String(req.headers['content-type'] ?? '');
  const buf = await readBody(req, limit);
  if (buf.length === 0) return undefined;
  if (ct && !/json/i.test(ct)) {
    throw new BifrostError('UNSUPPORTED_MEDIA_TYPE', `Expected application/json, got '${ct}'`);
  }
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new BifrostError('BAD_REQUEST', `Body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Normalises any thrown value into a client-safe table error (unexpected ones are masked). */
export function toClientError(err: unknown): { error: BifrostError; unexpected: boolean } {
  if (isBifrostError(err)) return { error: err, unexpected: false };
  if (isDatabaseUnavailable(err))
    return { error: new BifrostError('REGISTRY_UNAVAILABLE'), unexpected: false };
  if (isUnstorableText(err)) {
    return {
      error: new BifrostError(
        'BAD_REQUEST',
        'A value contains a character that cannot be stored (NUL or invalid UTF-8)',
      ),
      unexpected: false,
    };
  }
  return { error: new BifrostError('INTERNAL_SERVER_ERROR'), unexpected: true };
}

/** Prisma error codes meaning "the database cannot be used right now" (not a bad request). */
const UNAVAILABLE_CODES = new Set([
  'P1001',
  'P1002',
  'P1003',
  'P1008',
  'P1010',
  'P1017',
  'P2024',
  'ECONNREFUSED',
  'ECONNRESET',
  '57P01',
  '3D000',
]);

/** Whether `err` says the registry database is down or gone (duck-typed: no Prisma import here). */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { name?: string; code?: string; cause?: { code?: string } } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'PrismaClientInitializationError') return true;
  return UNAVAILABLE_CODES.has(String(e.code)) || UNAVAILABLE_CODES.has(String(e.cause?.code));
}

/** PostgreSQL refusing a text value (NUL byte, invalid UTF-8): the client's input, not our fault. */
export function isUnstorableText(err: unknown): boolean {
  const e = err as {
    meta?: { driverAdapterError?: { cause?: { code?: string } } };
    code?: string;
  } | null;
  const code = e?.meta?.driverAdapterError?.cause?.code ?? e?.code;
  return code === '22021' || code === '22P05';
}
