import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { BifrostError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Snapshot } from '../runtime/snapshot.js';
import { upstreamError, type UpstreamClient } from '../upstream/upstream-client.js';
import { endSpan, startUpstreamSpan } from '../upstream/trace.js';
import { sendError } from './http-utils.js';

/** Options of REST pass-through. */
export interface RestProxyOptions {
  upstream: UpstreamClient;
  logger: Logger;
  /** Forward the caller's `Authorization` header to modules (default true). */
  forwardAuthorization: boolean;
  /** Forward paths and methods that the module's spec does not list (default false: 404). */
  allowUnlisted: boolean;
  /** Largest request body forwarded (bytes): 413 PAYLOAD_TOO_LARGE beyond. */
  maxBodyBytes?: number;
  /** Largest module answer relayed (bytes): 502 UPSTREAM_RESPONSE_TOO_LARGE beyond. */
  maxResponseBytes?: number;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
  'host',
]);
const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH'];

function stripHopByHop(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const listed = new Set(
    String(headers['connection'] ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || listed.has(k)) continue;
    out[k] = v;
  }
  return out;
}

/**
 * Forwards `/{module}/{path}` to `{endpoint}{basePath}/{path}` with the query string and the
 * body streamed through; the module's status, headers (minus hop-by-hop ones) and body come back
 * unchanged.
 */
export function createRestProxy(options: RestProxyOptions) {
  const { upstream, logger } = options;
  return async function proxy(
    req: IncomingMessage,
    res: ServerResponse,
    snapshot: Snapshot,
    moduleName: string,
    rest: string,
    search: string,
    requestId: string,
  ): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const view = snapshot.modules.get(moduleName);
    if (!view) {
      return sendError(
        res,
        new BifrostError('MODULE_NOT_FOUND', `No logic module named '${moduleName}'`),
      );
    }
    if (!view.record.enabled) {
      return sendError(
        res,
        new BifrostError('MODULE_DISABLED', `Module '${moduleName}' is disabled`),
      );
    }
    if (!METHODS.includes(method)) {
      return sendError(
        res,
        new BifrostError('METHOD_NOT_ALLOWED', `Method ${method} is not supported`),
      );
    }
    let upstreamPath: string | null = null;
    if (view.match) {
      const listed =
        view.match(method, rest) ??
        (method === 'HEAD' ? view.match('GET', rest) : null) ??
        (method === 'OPTIONS'
          ? (METHODS.map((m) => view.match!(m, rest)).find(Boolean) ?? null)
          : null);
      // Keep the client's exact path (trailing slash included) below the base path.
      if (listed)
        upstreamPath =
          listed.upstreamPath.endsWith('/') || !rest.endsWith('/')
            ? listed.upstreamPath
            : `${listed.upstreamPath}/`;
    }
    if (!options.allowUnlisted) {
      if (!view.match) {
        return sendError(
          res,
          new BifrostError(
            'MODULE_UNAVAILABLE',
            `Module '${moduleName}' has no usable specification (${view.record.status})`,
          ),
        );
      }
      if (!upstreamPath) {
        return sendError(
          res,
          new BifrostError(
            'ENDPOINT_NOT_FOUND',
            `Endpoint not found: ${method} /${moduleName}${rest}`,
          ),
        );
      }
    }

    const base = view.record.endpoint.replace(/\/+$/, '');
    if (!upstreamPath) {
      upstreamPath =
        view.basePath && (rest === view.basePath || rest.startsWith(`${view.basePath}/`))
          ? rest
          : `${view.basePath}${rest}`;
    }
    const url = `${base}${upstreamPath}${search}`;
    const headers = stripHopByHop(req.headers);
    if (!options.forwardAuthorization) delete headers['authorization'];
    headers['x-request-id'] = requestId;
    const fwdFor = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = fwdFor
      ? `${fwdFor}, ${req.socket.remoteAddress ?? ''}`
      : (req.socket.remoteAddress ?? '');
    headers['x-forwarded-host'] = req.headers.host ?? '';
    headers['x-forwarded-proto'] = 'encrypted' in req.socket ? 'https' : 'http';
    headers['x-forwarded-prefix'] = `/${moduleName}`;
    const hasBody =
      method !== 'GET' &&
      method !== 'HEAD' &&
      (req.headers['content-length'] !== undefined ||
        req.headers['transfer-encoding'] !== undefined);
    const maxBody = options.maxBodyBytes ?? Infinity;
    if (Number(req.headers['content-length'] ?? 0) > maxBody) {
      return sendError(
        res,
        new BifrostError('PAYLOAD_TOO_LARGE', `Request body is larger than ${maxBody} bytes`),
      );
    }
    let bodyTooLarge = false;
    let body: IncomingMessage | Transform | null = null;
    if (hasBody) {
      if (Number.isFinite(maxBody) && req.headers['content-length'] === undefined) {
        // Chunked upload: count while streaming and stop at the limit.
        let seen = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            seen += chunk.length;
            if (seen > maxBody) {
              bodyTooLarge = true;
              cb(
                new BifrostError(
                  'PAYLOAD_TOO_LARGE',
                  `Request body is larger than ${maxBody} bytes`,
                ),
              );
            } else cb(null, chunk);
          },
        });
        req.pipe(counter);
        body = counter;
      } else body = req;
    }

    const started = performance.now();
    const { span, headers: traceHeaders } = startUpstreamSpan(moduleName, method, url);
    Object.assign(headers, traceHeaders);
    let upstreamRes: Dispatcher.ResponseData;
    try {
      upstreamRes = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        dispatcher: upstream.dispatcher,
      });
    } catch (err) {
      if (bodyTooLarge) {
        return sendError(
          res,
          new BifrostError('PAYLOAD_TOO_LARGE', `Request body is larger than ${maxBody} bytes`),
        );
      }
      const mapped = upstreamError(moduleName, url, err, upstream.timeoutMs);
      upstream.notify({
        module: moduleName,
        requestId,
        method,
        url,
        status: 0,
        ms: performance.now() - started,
        error: mapped.code,
      });
      endSpan(span, 0, mapped.code);
      logger.warn(
        { module: moduleName, method, code: mapped.code, requestId },
        'pass-through failed',
      );
      return sendError(res, mapped);
    }
    upstream.notify({
      module: moduleName,
      requestId,
      method,
      url,
      status: upstreamRes.statusCode,
      ms: performance.now() - started,
    });
    endSpan(span, upstreamRes.statusCode);
    const maxResponse = options.maxResponseBytes ?? Infinity;
    if (Number(upstreamRes.headers['content-length'] ?? 0) > maxResponse) {
      upstreamRes.body.destroy();
      return sendError(
        res,
        new BifrostError(
          'UPSTREAM_RESPONSE_TOO_LARGE',
          `Module '${moduleName}' answered with more than ${maxResponse} bytes`,
        ),
      );
    }
    const outHeaders = stripHopByHop(
      upstreamRes.headers as Record<string, string | string[] | undefined>,
    );
    outHeaders['x-request-id'] = requestId;
    res.writeHead(upstreamRes.statusCode, outHeaders);
    try {
      await relay(upstreamRes.body, res, maxResponse);
    } catch (err) {
      // Headers are gone already: the only honest signal left is a broken connection.
      logger.warn(
        { module: moduleName, requestId, err: String(err) },
        'pass-through body interrupted',
      );
      res.destroy();
    }
  };
}

/**
 * Copies a module's answer to the client with back-pressure, stopping at `maxBytes`. (Cheaper
 * than `stream.pipeline`, which builds and aborts an AbortController per call.) A client that
 * goes away ends the upstream body too.
 */
function relay(body: Readable, res: ServerResponse, maxBytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const onDrain = () => body.resume();
    body.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) {
        body.destroy();
        reject(new BifrostError('UPSTREAM_RESPONSE_TOO_LARGE'));
        return;
      }
      if (!res.write(chunk)) {
        body.pause();
        res.once('drain', onDrain);
      }
    });
    body.once('end', () => {
      res.end();
      resolve();
    });
    body.once('error', reject);
    res.once('close', () => {
      if (!res.writableFinished) {
        body.destroy();
        resolve();
      }
    });
  });
}
