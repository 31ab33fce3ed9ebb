import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * Optional OpenTelemetry tracing (OTEL_ENABLED=true): spans are exported over OTLP/HTTP and the
 * W3C trace context is propagated to modules. The gateway's own code only uses
 * `@opentelemetry/api`, which is a no-op until a provider is registered here.
 */
export function initTracing(options: { serviceName: string; endpoint?: string }): {
  shutdown(): Promise<void>;
} {
  const exporter = new OTLPTraceExporter(
    options.endpoint ? { url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces` } : {},
  );
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}
