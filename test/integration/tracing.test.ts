import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specModule, startTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('OpenTelemetry tracing', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let gw: TestGateway;
  let mod: Awaited<ReturnType<typeof specModule>>;

  beforeAll(async () => {
    provider.register();
    mod = await specModule(
      {
        openapi: '3.0.0',
        info: { title: 't', version: '1' },
        paths: {
          '/ping': {
            get: {
              operationId: 'ping',
              responses: {
                200: {
                  description: 'ok',
                  content: {
                    'application/json': {
                      schema: { type: 'object', properties: { ok: { type: 'boolean' } } },
                    },
                  },
                },
              },
            },
          },
        },
      },
      (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
    );
    gw = await startTestGateway();
    await gw.admin('POST', '/modules', { name: 'traced', endpoint: mod.url });
  });
  afterAll(async () => {
    await gw?.close();
    await mod?.close();
    await provider.shutdown();
  });

  it('makes a server span per request and a client span per module call, and propagates the trace to the module', async () => {
    exporter.reset();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await gw.call('/traced/ping', {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(res.status).toBe(200);
    const r = await gw.gql('{ traced_ping { ok } }');
    expect(r.body.data.traced_ping.ok).toBe(true);

    const spans = exporter.getFinishedSpans();
    const restServer = spans.find((s) => s.name === 'GET rest');
    const restClient = spans.find(
      (s) => s.name === 'GET traced' && s.spanContext().traceId === traceId,
    );
    expect(restServer?.spanContext().traceId).toBe(traceId);
    expect(restClient).toBeDefined();
    const gqlServer = spans.find((s) => s.name === 'POST graphql');
    expect(gqlServer).toBeDefined();
    const gqlClient = spans.find(
      (s) =>
        s.name === 'GET traced' && s.spanContext().traceId === gqlServer!.spanContext().traceId,
    );
    expect(
      gqlClient,
      'the GraphQL call to the module is a child of the request span',
    ).toBeDefined();

    const moduleCalls = mod.requests.filter((q) => q.url === '/ping');
    expect(moduleCalls).toHaveLength(2);
    for (const call of moduleCalls)
      expect(String(call.headers['traceparent'])).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(String(moduleCalls[0]!.headers['traceparent'])).toContain(traceId);
    expect(String(moduleCalls[1]!.headers['traceparent'])).toContain(
      gqlServer!.spanContext().traceId,
    );
  });
});
