/**
 * Spec-change safety through the admin API: a new spec that removes something a stored join uses
 * is held back (module `degraded`, previous spec served) until an admin forces it; a compatible
 * change goes live at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specModule, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const op = (operationId: string, path: string) => ({
  [path]: {
    get: {
      operationId,
      parameters: path.includes('{id}')
        ? [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }]
        : [],
      responses: {
        200: {
          description: 'ok',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/User' } } },
        },
      },
    },
  },
});
const spec = (version: string, paths: Record<string, unknown>) => ({
  openapi: '3.0.3',
  info: { title: 'people', version },
  paths,
  components: {
    schemas: {
      User: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
    },
  },
});

describe('spec-change safety (joins)', () => {
  let gw: TestGateway;
  let current: unknown = spec('1', op('getUser', '/users/{id}'));
  let people: Awaited<ReturnType<typeof specModule>>;

  const fields = async () => {
    const r = await gw.gql('{ __schema { queryType { fields { name } } } }');
    return (r.body.data.__schema.queryType.fields as Array<{ name: string }>).map((f) => f.name);
  };

  beforeAll(async () => {
    people = await specModule({ toJSON: () => current }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: '7', name: 'Ada' }));
    });
    gw = await startTestGateway();
    expect(
      (await gw.admin('POST', '/modules', { name: 'people', endpoint: people.url })).status,
    ).toBe(201);
    await gw.registry.createJoin({
      name: 'orderPerson',
      kind: 'field',
      sourceType: 'Orders_Order',
      fieldName: 'person',
      sourceKeyFields: ['personId'],
      targetOperation: 'people_getUser',
      targetArgument: 'id',
      batchOperation: null,
      batchArgument: null,
      targetKeyField: 'id',
      many: false,
      reverseFieldName: null,
      reverseOperation: null,
      reverseArgument: null,
      description: null,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await people?.close();
  });

  it('puts a compatible change live at once', async () => {
    current = spec('2', { ...op('getUser', '/users/{id}'), ...op('listUsers', '/users') });
    const r = await gw.admin('POST', '/modules/people/refresh');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', specVersion: '2' });
    expect(await fields()).toEqual(expect.arrayContaining(['people_getUser', 'people_listUsers']));
  });

  it('holds back a change that removes an operation a join uses, until an admin forces it', async () => {
    current = spec('3', op('listUsers', '/users'));
    const r = await gw.admin('POST', '/modules/people/refresh');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'degraded', specVersion: '2' });
    expect(r.body.lastError).toContain(
      "operation people_getUser removed (used by join 'orderPerson')",
    );
    expect(r.body.statusDetail.breakingChanges).toEqual([
      {
        join: 'orderPerson',
        kind: 'operation',
        path: 'people_getUser',
        change: 'removed',
        before: 'People_User',
        after: null,
      },
    ]);
    // Still served, still answering.
    expect(await fields()).toContain('people_getUser');
    const q = await gw.gql('{ people_getUser(id: "7") { id name } }');
    expect(q.body).toEqual({ data: { people_getUser: { id: '7', name: 'Ada' } } });
    const status = await gw.admin('GET', '/status');
    expect(status.body.modules.find((m: { name: string }) => m.name === 'people')).toMatchObject({
      status: 'degraded',
      specVersion: '2',
      inSchema: true,
      statusDetail: { code: 'SPEC_INCOMPATIBLE', heldBack: { version: '3' } },
    });

    const forced = await gw.admin('POST', '/modules/people/refresh?force=true');
    expect(forced.body).toMatchObject({ status: 'ok', specVersion: '3' });
    const after = await fields();
    expect(after).toContain('people_listUsers');
    expect(after).not.toContain('people_getUser');
  });
});
