import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specModule, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const slowSpec = {
  openapi: '3.0.0',
  info: { title: 'slow', version: '1' },
  paths: {
    '/wait': {
      get: {
        operationId: 'wait',
        responses: {
          200: {
            description: 'ok',
            content: {
              'application/json': {
                schema: { type: 'object', properties: { done: { type: 'boolean' } } },
              },
            },
          },
        },
      },
    },
  },
};

describe('hot swap through HTTP', () => {
  let gw: TestGateway;
  let slow: Awaited<ReturnType<typeof specModule>>;
  let other: Awaited<ReturnType<typeof specModule>>;

  beforeAll(async () => {
    slow = await specModule(slowSpec, (_req, res) => {
      setTimeout(
        () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"done":true}'),
        800,
      );
    });
    other = await specModule(
      { ...slowSpec, info: { title: 'other', version: '1' } },
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"done":true}');
      },
    );
    gw = await startTestGateway();
    expect(
      (await gw.admin('POST', '/modules', { name: 'slowmod', endpoint: slow.url })).body.status,
    ).toBe('ok');
  });
  afterAll(async () => {
    await gw?.close();
    await slow?.close();
    await other?.close();
  });

  it('finishes a request in flight on the schema it started with while modules change', async () => {
    const before = (await gw.admin('GET', '/status')).body.schema.version;
    const inFlight = gw.gql('{ slowmod_wait { done } }');
    await new Promise((r) => setTimeout(r, 150));
    // Two schema changes while the query waits on the module: one added, the queried one removed.
    expect(
      (await gw.admin('POST', '/modules', { name: 'othermod', endpoint: other.url })).status,
    ).toBe(201);
    expect((await gw.admin('DELETE', '/modules/slowmod')).status).toBe(204);
    const after = (await gw.admin('GET', '/status')).body.schema.version;
    expect(after).not.toBe(before);

    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ data: { slowmod_wait: { done: true } } });

    // New requests see the new schema: the removed module's field is gone, the new one answers.
    const gone = await gw.gql('{ slowmod_wait { done } }');
    expect(gone.status).toBe(400);
    expect(gone.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const fresh = await gw.gql('{ othermod_wait { done } }');
    expect(fresh.body).toEqual({ data: { othermod_wait: { done: true } } });
  });

  it('rebuilds only the subgraph of the module that changed', async () => {
    const builds = async () =>
      Object.fromEntries(
        (await gw.admin('GET', '/status')).body.modules.map((m: any) => [m.name, m.subgraphBuilds]),
      );
    const before = await builds();
    const third = await specModule(
      { ...slowSpec, info: { title: 'third', version: '1' } },
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"done":false}');
      },
    );
    try {
      expect(
        (await gw.admin('POST', '/modules', { name: 'third', endpoint: third.url })).status,
      ).toBe(201);
      // Adding `third` built its subgraph once and left the other modules alone.
      const after = await builds();
      expect(after.othermod).toBe(before.othermod);
      expect(after.third).toBe(1);
      expect((await gw.admin('DELETE', '/modules/third')).status).toBe(204);
    } finally {
      await third.close();
    }
  });

  it('does not swap when a refresh changes nothing', async () => {
    const before = (await gw.admin('GET', '/status')).body;
    const r = await gw.admin('POST', '/modules/othermod/refresh');
    expect(r.status).toBe(200);
    const after = (await gw.admin('GET', '/status')).body;
    expect(after.schema.version).toBe(before.schema.version);
    expect(after.lastRebuild.swapped).toBe(false);
  });
});
