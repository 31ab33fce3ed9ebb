import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { BifrostError } from '../core/errors.js';
import { endSpan, startUpstreamSpan } from './trace.js';

/** Options of the client that every call to a logic module goes through. */
export interface UpstreamClientOptions {
  /** Per-call timeout (headers and body), default 10 s. */
  timeoutMs: number;
  /** Keep-alive connections per module origin, default 128. */
  connectionsPerOrigin?: number;
  /** Largest upstream body accepted for GraphQL/join calls (bytes), default 50 MiB. */
  maxResponseBytes?: number;
}

export type UpstreamCallObserver = (call: {
  module: string;
  method: string;
  url: string;
  status: number;
  ms: number;
  error?: string;
  /** The gateway request the call was made for (from the `x-request-id` sent upstream). */
  requestId?: string;
}) => void;

/**
 * Maps a transport failure of a call to `module` onto the error table: timeouts are
 * UPSTREAM_TIMEOUT (504), everything else that prevents an answer is MODULE_UNREACHABLE (502).
 */
export function upstreamError(
  module: string,
  _url: string,
  err: unknown,
  timeoutMs: number,
): BifrostError {
  if (err instanceof BifrostError) return err;
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  if (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    e?.name === 'TimeoutError'
  ) {
    return new BifrostError(
      'UPSTREAM_TIMEOUT',
      `Module '${module}' did not answer within ${timeoutMs} ms`,
      { cause: err },
    );
  }
  return new BifrostError(
    'MODULE_UNREACHABLE',
    `Module '${module}' could not be reached (${code ?? e?.message ?? 'connection failed'})`,
    { cause: err },
  );
}

/** Keep-alive HTTP client for logic modules (undici), with timeouts and error mapping. */
export class UpstreamClient {
  readonly dispatcher: Dispatcher;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  private readonly observers: UpstreamCallObserver[] = [];

  constructor(options: UpstreamClientOptions) {
    this.timeoutMs = options.timeoutMs;
    this.maxResponseBytes = options.maxResponseBytes ?? 50 * 1024 * 1024;
    this.dispatcher = new Agent({
      connections: options.connectionsPerOrigin ?? 128,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: Math.min(options.timeoutMs, 10_000),
      keepAliveTimeout: 30_000,
      pipelining: 1,
    });
  }

  observe(observer: UpstreamCallObserver): void {
    this.observers.push(observer);
  }

  notify(call: Parameters<UpstreamCallObserver>[0]): void {
    for (const o of this.observers) o(call);
  }

  /**
   * A `fetch`-compatible function for one module, as GraphQL Mesh's OpenAPI handler expects.
   * Answers are read fully (bounded) and handed over as a standard Response.
   */
  fetchFor(
    module: string,
  ): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
    return async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const method = (init?.method ?? 'GET').toUpperCase();
      const headers: Record<string, string> = {};
      if (init?.headers) {
        new Headers(init.headers as ConstructorParameters<typeof Headers>[0]).forEach((v, k) => {
          headers[k] = v;
        });
      }
      const started = performance.now();
      const { span, headers: traceHeaders } = startUpstreamSpan(module, method, url);
      Object.assign(headers, traceHeaders);
      try {
        const res = await request(url, {
          method: method as Dispatcher.HttpMethod,
          headers,
          body: (init?.body as string | Buffer | Uint8Array | null | undefined) ?? null,
          dispatcher: this.dispatcher,
          signal: init?.signal ?? undefined,
        });
        const buf = await this.readBounded(module, res.body);
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (v === undefined) continue;
          if (Array.isArray(v)) for (const x of v) h.append(k, x);
          else h.set(k, String(v));
        }
        this.notify({
          module,
          requestId: headers['x-request-id'],
          method,
          url,
          status: res.statusCode,
          ms: performance.now() - started,
        });
        endSpan(span, res.statusCode);
        const noBody = res.statusCode === 204 || res.statusCode === 304 || method === 'HEAD';
        return new Response(noBody ? null : buf, { status: res.statusCode, headers: h });
      } catch (err) {
        const mapped = upstreamError(module, url, err, this.timeoutMs);
        this.notify({
          module,
          requestId: headers['x-request-id'],
          method,
          url,
          status: 0,
          ms: performance.now() - started,
          error: mapped.code,
        });
        endSpan(span, 0, mapped.code);
        throw mapped;
      }
    };
  }

  /** GET a JSON document from a module (used by joins). */
  async getJson(
    module: string,
    url: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: unknown }> {
    const started = performance.now();
    const { span, headers: traceHeaders } = startUpstreamSpan(module, 'GET', url);
    try {
      const res = await request(url, {
        method: 'GET',
        headers: { accept: 'application/json', ...headers, ...traceHeaders },
        dispatcher: this.dispatcher,
      });
      const buf = await this.readBounded(module, res.body);
      this.notify({
        module,
        requestId: headers['x-request-id'],
        method: 'GET',
        url,
        status: res.statusCode,
        ms: performance.now() - started,
      });
      endSpan(span, res.statusCode);
      let body: unknown = null;
      if (buf.length > 0) {
        try {
          body = JSON.parse(buf.toString('utf8'));
        } catch {
          throw new BifrostError(
            'UPSTREAM_ERROR',
            `Module '${module}' answered with a body that is not JSON`,
          );
        }
      }
      return { status: res.statusCode, body };
    } catch (err) {
      const mapped = upstreamError(module, url, err, this.timeoutMs);
      this.notify({
        module,
        requestId: headers['x-request-id'],
        method: 'GET',
        url,
        status: 0,
        ms: performance.now() - started,
        error: mapped.code,
      });
      endSpan(span, 0, mapped.code);
      throw mapped;
    }
  }

  private async readBounded(
    module: string,
    body: Dispatcher.ResponseData['body'],
  ): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > this.maxResponseBytes) {
        body.destroy();
        throw new BifrostError(
          'UPSTREAM_RESPONSE_TOO_LARGE',
          `Module '${module}' answered with more than ${this.maxResponseBytes} bytes`,
        );
      }
      chunks.push(chunk as Buffer);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
