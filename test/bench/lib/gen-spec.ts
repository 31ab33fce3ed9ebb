/**
 * Generated OpenAPI 3.0 documents for the schema-build scenario: module `i` has `resources`
 * resources with four operations each (list with `limit` and `ids`, get by id, create, replace),
 * 20 operations by default, every schema and operation id distinct per module.
 */
export function generateSpec(index: number, operations = 20): Record<string, unknown> {
  const resources = Math.max(1, Math.round(operations / 4));
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (let r = 0; r < resources; r++) {
    const name = `Thing${r}`;
    const plural = `things${r}`;
    schemas[name] = {
      type: 'object',
      required: ['id', 'name'],
      properties: {
        id: { type: 'integer' },
        name: { type: 'string' },
        description: { type: 'string', nullable: true },
        price: { type: 'number' },
        tags: { type: 'array', items: { type: 'string' } },
        state: { type: 'string', enum: ['draft', 'active', 'retired'] },
        owner: { $ref: `#/components/schemas/Owner` },
        createdAt: { type: 'string', format: 'date-time' },
      },
    };
    schemas[`${name}Input`] = {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string' },
        description: { type: 'string' },
        price: { type: 'number' },
        tags: { type: 'array', items: { type: 'string' } },
        state: { type: 'string', enum: ['draft', 'active', 'retired'] },
      },
    };
    const ref = { $ref: `#/components/schemas/${name}` };
    const input = { $ref: `#/components/schemas/${name}Input` };
    const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'integer' } };
    paths[`/${plural}`] = {
      get: {
        operationId: `list${name}`,
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', default: 100 } },
          {
            name: 'ids',
            in: 'query',
            style: 'form',
            explode: false,
            schema: { type: 'array', items: { type: 'integer' } },
          },
        ],
        responses: {
          '200': {
            description: 'ok',
            content: { 'application/json': { schema: { type: 'array', items: ref } } },
          },
        },
      },
      post: {
        operationId: `create${name}`,
        requestBody: { required: true, content: { 'application/json': { schema: input } } },
        responses: {
          '201': { description: 'created', content: { 'application/json': { schema: ref } } },
        },
      },
    };
    paths[`/${plural}/{id}`] = {
      get: {
        operationId: `get${name}`,
        parameters: [idParam],
        responses: {
          '200': { description: 'ok', content: { 'application/json': { schema: ref } } },
          '404': {
            description: 'not found',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Problem' } } },
          },
        },
      },
      put: {
        operationId: `replace${name}`,
        parameters: [idParam],
        requestBody: { required: true, content: { 'application/json': { schema: input } } },
        responses: {
          '200': { description: 'ok', content: { 'application/json': { schema: ref } } },
        },
      },
    };
  }
  schemas['Owner'] = {
    type: 'object',
    properties: { id: { type: 'integer' }, email: { type: 'string', format: 'email' } },
  };
  schemas['Problem'] = {
    type: 'object',
    properties: { code: { type: 'string' }, message: { type: 'string' } },
  };
  return {
    openapi: '3.0.3',
    info: { title: `Generated module ${index}`, version: '1.0.0' },
    servers: [{ url: '/' }],
    paths,
    components: { schemas },
  };
}
