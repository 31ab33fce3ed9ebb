import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
} from '@opentelemetry/api';

/** The gateway's tracer (no-op unless tracing is enabled). */
export const tracer = trace.getTracer('bifrost');

/** Starts a client span for a call to a module and returns headers carrying its trace context. */
export function startUpstreamSpan(
  module: string,
  method: string,
  url: string,
): { span: Span; headers: Record<string, string> } {
  const span = tracer.startSpan(`${method} ${module}`, {
    kind: SpanKind.CLIENT,
    attributes: { 'http.request.method': method, 'url.full': url, 'bifrost.module': module },
  });
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), headers);
  return { span, headers };
}

export function endSpan(span: Span, status: number, error?: string): void {
  if (status) span.setAttribute('http.response.status_code', status);
  if (error || status >= 500 || status === 0)
    span.setStatus({ code: SpanStatusCode.ERROR, ...(error ? { message: error } : {}) });
  span.end();
}

export { context, propagation, SpanKind, trace };
