import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  getNamedType,
  graphql,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
} from 'graphql';
import { sanitizeNameForGraphQL } from '@graphql-mesh/utils';
import { afterEach, describe, expect, it } from 'vitest';
import { isBifrostError } from '../../src/core/errors.js';
import { prefixedFieldName } from '../../src/core/names.js';
import type { OpenApiDocument } from '../../src/discovery/openapi-document.js';
import { fetchSpec, parseSpecText } from '../../src/discovery/spec-fetcher.js';
import { basePathOf, listOperations } from '../../src/discovery/spec-operations.js';
import { fieldNameFromPath } from '../../src/mesh/prepare-spec.js';
import { buildSubgraph, type Subgraph, type SubgraphFetch } from '../../src/mesh/subgraph.js';
import { startFakeModule, type FakeHandler, type FakeModule } from '../fixtures/fake-module.js';

const SPECS_DIR = '/work/shared/specs';
const specFiles = readdirSync(SPECS_DIR)
  .filter((f) => /\.(json|ya?ml)$/i.test(f))
  .sort();

const open: FakeModule[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

/** Readable root field names expected for the public specs we know (checked when present). */
const KNOWN_FIELDS: Record<string, { query: string[]; mutation: string[] }> = {
  'v2.0_json_api-with-examples.json': {
    query: ['listVersionsv2', 'getVersionDetailsv2'],
    mutation: [],
  },
  'v2.0_json_petstore-expanded-2014-numeric-version-relative-ref.json': {
    query: ['findPets', 'findPetById'],
    mutation: ['addPet', 'deletePet'],
  },
  'v2.0_json_petstore-expanded.json': {
    query: ['findPets', 'find_pet_by_id'],
    mutation: ['addPet', 'deletePet'],
  },
  'v2.0_json_petstore-with-external-docs.json': {
    query: ['findPets', 'findPetById'],
    mutation: ['addPet', 'deletePet'],
  },
  'v2.0_json_uber-2014-items-array.json': {
    query: ['products', 'estimates_price', 'estimates_time', 'me', 'history'],
    mutation: [],
  },
  'v2.0_json_uber.json': {
    query: ['products', 'estimates_price', 'estimates_time', 'me', 'history'],
    mutation: [],
  },
  'v2.0_yaml_petstore.yaml': { query: ['listPets', 'showPetById'], mutation: ['createPets'] },
  'v3.0_callback-example.json': { query: [], mutation: ['post_streams'] },
  'v3.0_link-example.json': {
    query: [
      'getUserByName',
      'getRepositoriesByOwner',
      'getRepository',
      'getPullRequestsByRepository',
      'getPullRequestsById',
    ],
    mutation: ['mergePullRequest'],
  },
  'v3.0_petstore-expanded.json': {
    query: ['findPets', 'find_pet_by_id'],
    mutation: ['addPet', 'deletePet'],
  },
  'v3.0_uspto.json': {
    query: ['list_data_sets', 'list_searchable_fields'],
    mutation: ['perform_search'],
  },
  'v3.1_non-oauth-scopes.json': { query: ['users'], mutation: [] },
  'v3.1_webhook-example.json': { query: [], mutation: [] },
};

function moduleNameFor(file: string): string {
  return (
    'm-' +
    file
      .replace(/\.(json|ya?ml)$/i, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .slice(0, 50)
      .replace(/-+$/, '')
  );
}

interface Harness {
  module: FakeModule;
  document: OpenApiDocument;
  subgraph: Subgraph;
  /** URLs the resolvers fetched. */
  fetched: string[];
}

async function harness(
  specText: string,
  moduleName: string,
  opts: { handler?: FakeHandler; headers?: (ctx: unknown) => Record<string, string> } = {},
): Promise<Harness> {
  const parsed = parseSpecText(specText);
  const module = await startFakeModule(specText, parsed, opts.handler);
  open.push(module);
  // Through the real fetcher, as the gateway does.
  const fetched = await fetchSpec({ endpoint: module.url, docsPath: '/docs', timeoutMs: 5000 });
  const urls: string[] = [];
  const fetchFn: SubgraphFetch = (url, init) => {
    urls.push(url);
    return fetch(url, init);
  };
  const subgraph = await buildSubgraph({
    moduleName,
    document: fetched.document,
    endpoint: module.url,
    timeoutMs: 5000,
    fetch: fetchFn,
    ...(opts.headers ? { headers: opts.headers } : {}),
  });
  return { module, document: fetched.document, subgraph, fetched: urls };
}

/** A schema that graphql() accepts even for mutation-only subgraphs. */
function executable(subgraph: Subgraph): GraphQLSchema {
  const s = subgraph.schema;
  if (s.getQueryType()) return s;
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: { _placeholder: { type: GraphQLString } },
    }),
    mutation: s.getMutationType(),
  });
}

function sampleInput(type: GraphQLInputType, depth = 0): string {
  if (isNonNullType(type)) return sampleInput(type.ofType, depth);
  if (isListType(type)) return `[${sampleInput(type.ofType, depth)}]`;
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    const parts = Object.values(type.getFields())
      .filter((f) => isNonNullType(f.type) && depth < 4)
      .map((f) => `${f.name}: ${sampleInput(f.type, depth + 1)}`);
    return `{${parts.join(', ')}}`;
  }
  switch (type.name) {
    case 'Int':
    case 'BigInt':
    case 'Float':
    case 'PositiveInt':
    case 'NonNegativeInt':
      return '7';
    case 'Boolean':
      return 'true';
    case 'URL':
      return '"http://127.0.0.1/cb"';
    default:
      return '"abc"';
  }
}

function selection(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (isUnionType(named)) {
    const parts = named.getTypes().map((t) => `... on ${t.name} ${selection(t, depth)}`);
    return `{ __typename ${parts.join(' ')} }`;
  }
  if (isObjectType(named) || isInterfaceType(named)) {
    const leaves = Object.values(named.getFields())
      .filter(
        (f) => isLeafType(getNamedType(f.type)) && f.args.every((a) => !isNonNullType(a.type)),
      )
      .map((f) => f.name);
    const nested =
      depth < 1
        ? Object.values(named.getFields())
            .filter(
              (f) =>
                !isLeafType(getNamedType(f.type)) &&
                f.args.length === 0 &&
                !isUnionType(getNamedType(f.type)),
            )
            .slice(0, 2)
            .map((f) => `${f.name} ${selection(f.type, depth + 1)}`)
        : [];
    return `{ __typename ${[...leaves, ...nested].join(' ')} }`;
  }
  return '';
}

function operationText(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): string {
  const args = field.args
    .filter((a) => isNonNullType(a.type))
    .map((a) => `${a.name}: ${sampleInput(a.type)}`);
  return `${kind} { ${field.name}${args.length ? `(${args.join(', ')})` : ''} ${selection(field.type)} }`;
}

describe.each(specFiles)('real-world spec %s', (file) => {
  const text = readFileSync(join(SPECS_DIR, file), 'utf8');
  const moduleName = moduleNameFor(file);

  it('builds a subgraph with readable root fields and calls the module, not the spec host', async () => {
    const h = await harness(text, moduleName);
    const { subgraph, document, module } = h;
    const ns = moduleName.replace(/-/g, '_');

    // Every operation of the spec is a root field, named after its operationId (sanitized) or its
    // method and path, GET in Query and everything else in Mutation.
    const ops = listOperations(document);
    const expectedQuery = ops
      .filter((o) => o.method === 'get')
      .map((o) =>
        prefixedFieldName(
          moduleName,
          o.operationId
            ? sanitizeNameForGraphQL(o.operationId)
            : fieldNameFromPath(o.method, o.path),
        ),
      );
    const expectedMutation = ops
      .filter((o) => o.method !== 'get')
      .map((o) =>
        prefixedFieldName(
          moduleName,
          o.operationId
            ? sanitizeNameForGraphQL(o.operationId)
            : fieldNameFromPath(o.method, o.path),
        ),
      );
    expect([...subgraph.queryFields].sort()).toEqual([...expectedQuery].sort());
    expect([...subgraph.mutationFields].sort()).toEqual([...expectedMutation].sort());
    const known = KNOWN_FIELDS[file];
    if (known) {
      expect([...subgraph.queryFields].sort()).toEqual(known.query.map((f) => `${ns}_${f}`).sort());
      expect([...subgraph.mutationFields].sort()).toEqual(
        known.mutation.map((f) => `${ns}_${f}`).sort(),
      );
    }
    for (const f of [...subgraph.queryFields, ...subgraph.mutationFields]) {
      expect(f).toMatch(new RegExp(`^${ns}_[A-Za-z][A-Za-z0-9_]*[A-Za-z0-9]$`));
      expect(f).not.toMatch(/undefined|_$/);
    }
    // Module types are prefixed; nothing unprefixed except built-in and shared scalars.
    for (const t of Object.values(subgraph.schema.getTypeMap())) {
      if (t.name.startsWith('__') || t.name === 'Query' || t.name === 'Mutation') continue;
      if (
        isObjectType(t) ||
        isInputObjectType(t) ||
        isEnumType(t) ||
        isUnionType(t) ||
        isInterfaceType(t)
      ) {
        expect(t.name.startsWith(`${ns.charAt(0).toUpperCase()}${ns.slice(1)}_`)).toBe(true);
      }
    }
    expect(subgraph.schema.getSubscriptionType()).toBeUndefined();
    expect(
      subgraph.schema
        .getDirectives()
        .map((d) => d.name)
        .sort(),
    ).toEqual(
      ['deprecated', 'include', 'oneOf', 'skip', 'specifiedBy'].filter((n) =>
        subgraph.schema.getDirectives().some((d) => d.name === n),
      ),
    );

    if (ops.length === 0) {
      expect(subgraph.warnings.join(' ')).toMatch(/no callable operations/);
      return;
    }

    // Execute the first callable field (a query when there is one).
    const schema = executable(subgraph);
    const kind = subgraph.queryFields.length > 0 ? 'query' : 'mutation';
    const root = (kind === 'query' ? schema.getQueryType() : schema.getMutationType())!;
    const field =
      root.getFields()[(kind === 'query' ? subgraph.queryFields : subgraph.mutationFields)[0]!]!;
    const source = operationText(kind, field);
    const result = await graphql({ schema, source, contextValue: {} });
    expect(result.errors, `${source}\n${JSON.stringify(result.errors)}`).toBeUndefined();
    expect(result.data?.[field.name]).not.toBeUndefined();

    expect(module.requests.length).toBeGreaterThanOrEqual(1);
    const req = module.requests[0]!;
    expect(req.headers.host).toBe(module.url.replace('http://', ''));
    expect(req.operation, `${req.method} ${req.path} matched no operation`).not.toBeNull();
    const basePath = basePathOf(document);
    // The module got the operation's method on basePath + path.
    expect(req.path.startsWith(basePath)).toBe(true);
    expect(req.operation!.upstreamPath.replace(/\/$/, '')).toBe(req.path.replace(/\/$/, ''));
    const fieldOp = ops.find(
      (o) =>
        prefixedFieldName(
          moduleName,
          o.operationId
            ? sanitizeNameForGraphQL(o.operationId)
            : fieldNameFromPath(o.method, o.path),
        ) === field.name,
    )!;
    expect(req.method).toBe(fieldOp.method.toUpperCase());
    expect(req.operation!.path).toBe(fieldOp.path);
    for (const url of h.fetched)
      expect(url.startsWith(`${module.url}/`) || url === module.url).toBe(true);
  });
});

describe('trap: JSON null response body', () => {
  it('resolves the field to null without an error (object, list and scalar return types)', async () => {
    const text = readFileSync(join(SPECS_DIR, 'v2.0_json_petstore-expanded.json'), 'utf8');
    const h = await harness(text, 'pets', { handler: () => ({ body: 'null' }) });
    const result = await graphql({
      schema: h.subgraph.schema,
      source: '{ pets_find_pet_by_id(id: 1) { __typename } pets_findPets { __typename } }',
    });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ pets_find_pet_by_id: null, pets_findPets: null });
    expect(h.module.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'GET /api/pets',
      'GET /api/pets/1',
    ]);
  });
});

describe('trap: operation with neither operationId nor responses', () => {
  it('gets a readable field name and is callable', async () => {
    const text = readFileSync(join(SPECS_DIR, 'v3.1_non-oauth-scopes.json'), 'utf8');
    const h = await harness(text, 'scopes', {
      handler: () => ({ body: JSON.stringify([{ id: 1 }]) }),
    });
    expect(h.subgraph.queryFields).toEqual(['scopes_users']);
    const result = await graphql({ schema: h.subgraph.schema, source: '{ scopes_users }' });
    expect(result.errors).toBeUndefined();
    expect(result.data?.['scopes_users']).toEqual([{ id: 1 }]);
    expect(h.module.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /users']);
  });

  it('names GET / and duplicate or missing operationIds without collisions', async () => {
    const doc = {
      openapi: '3.0.0',
      info: { title: 't', version: '1' },
      paths: {
        '/': { get: {}, post: {} },
        '/a-b/{id}': { get: { operationId: 'dup' }, delete: { operationId: 'dup' } },
      },
    };
    const h = await harness(JSON.stringify(doc), 'odd');
    expect([...h.subgraph.queryFields].sort()).toEqual(['odd_dup', 'odd_root']);
    expect([...h.subgraph.mutationFields].sort()).toEqual(['odd_dup_2', 'odd_post_root']);
    expect(h.subgraph.warnings.join(' ')).toMatch(/duplicate operationId 'dup'/);
  });
});

describe('trap: OpenAPI links', () => {
  const text = readFileSync(join(SPECS_DIR, 'v3.0_link-example.json'), 'utf8');
  const handler: FakeHandler = (req) => {
    const p = req.path;
    if (p === '/2.0/repositories/alice') {
      return {
        body: JSON.stringify([
          { slug: 'one', owner: { username: 'alice' } },
          { slug: 'two', owner: { username: 'bob' } },
          { owner: { username: 'carol' } },
        ]),
      };
    }
    const owner = /^\/2\.0\/repositories\/([^/]+)$/.exec(p);
    if (owner)
      return {
        body: JSON.stringify([{ slug: `${owner[1]}-repo`, owner: { username: owner[1] } }]),
      };
    const repo = /^\/2\.0\/repositories\/([^/]+)\/([^/]+)$/.exec(p);
    if (repo) return { body: JSON.stringify({ slug: repo[2], owner: { username: repo[1] } }) };
    const user = /^\/2\.0\/users\/([^/]+)$/.exec(p);
    if (user) return { body: JSON.stringify({ username: user[1], uuid: 'u' }) };
    const prs = /^\/2\.0\/repositories\/([^/]+)\/([^/]+)\/pullrequests$/.exec(p);
    if (prs) return { body: JSON.stringify([{ id: 1, title: `pr of ${prs[1]}/${prs[2]}` }]) };
    const pr = /^\/2\.0\/repositories\/([^/]+)\/([^/]+)\/pullrequests\/([^/]+)$/.exec(p);
    if (pr) {
      return {
        body: JSON.stringify({
          id: Number(pr[3]),
          title: 't',
          author: { username: pr[1] },
          repository: { slug: pr[2], owner: { username: pr[1] } },
        }),
      };
    }
    return { status: 404, body: '{}' };
  };

  it('a link on list items calls the path of each item, and is null where a parameter is missing', async () => {
    const h = await harness(text, 'bb', { handler });
    const result = await graphql({
      schema: h.subgraph.schema,
      source: `{ bb_getRepositoriesByOwner(username: "alice") {
        slug
        userRepository { slug owner { username } }
        owner { username userRepositories { slug } }
      } }`,
    });
    expect(JSON.stringify(result.errors)).toBeUndefined();
    const list = result.data?.['bb_getRepositoriesByOwner'] as Array<Record<string, unknown>>;
    expect(list[0]!['userRepository']).toEqual({ slug: 'one', owner: { username: 'alice' } });
    expect(list[1]!['userRepository']).toEqual({ slug: 'two', owner: { username: 'bob' } });
    expect(list[2]!['userRepository']).toBeNull();
    const calls = h.module.requests.map((r) => `${r.method} ${r.path}`);
    expect(calls).toContain('GET /2.0/repositories/alice/one');
    expect(calls).toContain('GET /2.0/repositories/bob/two');
    // A nested user's link uses that user, never an empty path segment.
    expect(calls).toContain('GET /2.0/repositories/carol');
    expect(calls.every((c) => !c.includes('//') && !c.endsWith('/'))).toBe(true);
    expect(calls.filter((c) => c.startsWith('GET /2.0/repositories/alice/')).sort()).toEqual([
      'GET /2.0/repositories/alice/one',
    ]);
  });

  it('a link to a POST operation is not offered, so a query never writes', async () => {
    const h = await harness(text, 'bb', { handler });
    const prType = h.subgraph.schema.getType('Bb_pullrequest') as GraphQLObjectType;
    expect(Object.keys(prType.getFields())).not.toContain('pullRequestMerge');
    expect(h.subgraph.warnings.join(' ')).toMatch(/pullRequestMerge .*POST/);
    const bad = await graphql({
      schema: h.subgraph.schema,
      source:
        '{ bb_getPullRequestsById(username: "a", slug: "s", pid: "1") { id pullRequestMerge } }',
    });
    expect(bad.errors?.[0]?.message).toMatch(/Cannot query field "pullRequestMerge"/);
    const ok = await graphql({
      schema: h.subgraph.schema,
      source:
        '{ bb_getPullRequestsById(username: "a", slug: "s", pid: "1") { id repository { slug repositoryPullRequests(state: open) { title } } } }',
    });
    expect(ok.errors).toBeUndefined();
    expect(ok.data).toEqual({
      bb_getPullRequestsById: {
        id: 1,
        repository: { slug: 's', repositoryPullRequests: [{ title: 'pr of a/s' }] },
      },
    });
    const calls = h.module.requests.map((r) => `${r.method} ${r.path}?${r.rawQuery}`);
    expect(calls).toEqual([
      'GET /2.0/repositories/a/s/pullrequests/1?',
      'GET /2.0/repositories/a/s/pullrequests?state=open',
    ]);
    expect(h.module.requests.some((r) => r.method !== 'GET')).toBe(false);
    // Every Query field is a GET operation.
    for (const f of h.subgraph.queryFields) expect(f).not.toMatch(/merge/i);
  });
});

describe('trap: webhooks only', () => {
  it('returns a subgraph with nothing callable and says so', async () => {
    const text = readFileSync(join(SPECS_DIR, 'v3.1_webhook-example.json'), 'utf8');
    const h = await harness(text, 'hooks');
    expect(h.subgraph.queryFields).toEqual([]);
    expect(h.subgraph.mutationFields).toEqual([]);
    expect(h.subgraph.schema.getQueryType()).toBeUndefined();
    expect(h.subgraph.warnings).toEqual([
      'no callable operations: the document has 1 webhook(s) (newPet) and no paths; webhooks are not exposed',
    ]);
  });
});

describe('callbacks and bodies', () => {
  it('strips callbacks (no subscription) and the POST is a mutation hitting the module', async () => {
    const text = readFileSync(join(SPECS_DIR, 'v3.0_callback-example.json'), 'utf8');
    const h = await harness(text, 'cb');
    expect(h.subgraph.warnings.join(' ')).toMatch(/callback.*onData/);
    const result = await graphql({
      schema: executable(h.subgraph),
      source: 'mutation { cb_post_streams(callbackUrl: "http://127.0.0.1/cb") { subscriptionId } }',
    });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      cb_post_streams: { subscriptionId: '2531329f-fb09-4ef7-887e-84e648214436' },
    });
    expect(h.module.requests[0]!.method).toBe('POST');
    expect(h.module.requests[0]!.path).toBe('/streams');
    expect(h.module.requests[0]!.query.get('callbackUrl')).toBe('http://127.0.0.1/cb');
  });

  it('sends form-encoded bodies to basePath from servers with variables (uspto)', async () => {
    const text = readFileSync(join(SPECS_DIR, 'v3.0_uspto.json'), 'utf8');
    const h = await harness(text, 'uspto', { handler: () => ({ body: '[{"a":{}}]' }) });
    const result = await graphql({
      schema: h.subgraph.schema,
      source:
        'mutation { uspto_perform_search(dataset: "oa_citations", version: "v1", input: { criteria: "*:*", rows: 5 }) }',
    });
    expect(result.errors).toBeUndefined();
    const req = h.module.requests[0]!;
    expect(`${req.method} ${req.path}`).toBe('POST /ds-api/oa_citations/v1/records');
    expect(req.headers['content-type']).toMatch(/application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({
      criteria: '*:*',
      rows: '5',
    });
  });

  it('sends a JSON body for a Swagger 2 body parameter', async () => {
    const text = readFileSync(
      join(SPECS_DIR, 'v2.0_json_petstore-with-external-docs.json'),
      'utf8',
    );
    const h = await harness(text, 'pets');
    const result = await graphql({
      schema: h.subgraph.schema,
      source: 'mutation { pets_addPet(input: { name: "Rex", tag: "dog" }) { __typename } }',
    });
    expect(result.errors).toBeUndefined();
    const req = h.module.requests[0]!;
    expect(`${req.method} ${req.path}`).toBe('POST /api/pets');
    expect(JSON.parse(req.body)).toEqual({ name: 'Rex', tag: 'dog' });
  });
});

describe('Swagger 2 collectionFormat', () => {
  it('sends csv arrays as ids=1,2 and multi arrays repeated', async () => {
    const doc = {
      swagger: '2.0',
      info: { title: 't', version: '1' },
      basePath: '/v1',
      paths: {
        '/csv': {
          get: {
            operationId: 'csv',
            parameters: [
              {
                name: 'ids',
                in: 'query',
                type: 'array',
                items: { type: 'integer' },
                collectionFormat: 'csv',
              },
              { name: 'tags', in: 'query', type: 'array', items: { type: 'string' } },
            ],
            responses: {
              200: {
                description: 'ok',
                schema: { type: 'object', properties: { ok: { type: 'boolean' } } },
              },
            },
          },
        },
        '/multi': {
          get: {
            operationId: 'multi',
            parameters: [
              {
                name: 'ids',
                in: 'query',
                type: 'array',
                items: { type: 'integer' },
                collectionFormat: 'multi',
              },
            ],
            responses: {
              200: {
                description: 'ok',
                schema: { type: 'object', properties: { ok: { type: 'boolean' } } },
              },
            },
          },
        },
      },
    };
    const h = await harness(JSON.stringify(doc), 'arr', {
      handler: () => ({ body: '{"ok":true}' }),
    });
    const result = await graphql({
      schema: h.subgraph.schema,
      source:
        '{ a: arr_csv(ids: [1, 2], tags: ["x", "y"]) { ok } b: arr_multi(ids: [1, 2]) { ok } }',
    });
    expect(result.errors).toBeUndefined();
    const csv = h.module.requests.find((r) => r.path === '/v1/csv')!;
    expect(csv.query.getAll('ids')).toEqual(['1,2']);
    expect(csv.query.getAll('tags')).toEqual(['x,y']);
    const multi = h.module.requests.find((r) => r.path === '/v1/multi')!;
    expect(multi.query.getAll('ids')).toEqual(['1', '2']);
  });

  it('petstore findPets(tags) sends tags=a,b', async () => {
    const text = readFileSync(join(SPECS_DIR, 'v2.0_json_petstore-expanded.json'), 'utf8');
    const h = await harness(text, 'pets');
    const result = await graphql({
      schema: h.subgraph.schema,
      source: '{ pets_findPets(tags: ["a", "b"], limit: 3) { __typename } }',
    });
    expect(result.errors).toBeUndefined();
    expect(h.module.requests[0]!.path).toBe('/api/pets');
    expect(h.module.requests[0]!.query.get('tags')).toBe('a,b');
    expect(h.module.requests[0]!.query.get('limit')).toBe('3');
  });
});

describe('headers, merging, errors', () => {
  it('adds the headers of the factory (from the context) to every call', async () => {
    const text = readFileSync(join(SPECS_DIR, 'v2.0_yaml_petstore.yaml'), 'utf8');
    const h = await harness(text, 'yp', {
      headers: (ctx) => ({
        authorization: (ctx as { forwardHeaders: Record<string, string> }).forwardHeaders[
          'authorization'
        ]!,
      }),
    });
    const result = await graphql({
      schema: h.subgraph.schema,
      source: '{ yp_showPetById(petId: "7") { __typename } }',
      contextValue: { forwardHeaders: { authorization: 'Bearer t0k' } },
    });
    expect(result.errors).toBeUndefined();
    expect(h.module.requests[0]!.path).toBe('/v1/pets/7');
    expect(h.module.requests[0]!.headers['authorization']).toBe('Bearer t0k');
    expect(h.module.requests[0]!.headers['accept']).toBe('application/json');
    expect(h.subgraph.warnings).toEqual([]);
  });

  it('subgraphs of several modules merge into one schema (shared scalars are one instance)', async () => {
    const a = await harness(
      readFileSync(join(SPECS_DIR, 'v2.0_json_petstore-expanded.json'), 'utf8'),
      'pets-a',
    );
    const b = await harness(
      readFileSync(join(SPECS_DIR, 'v3.0_petstore-expanded.json'), 'utf8'),
      'pets-b',
    );
    const c = await harness(readFileSync(join(SPECS_DIR, 'v2.0_json_uber.json'), 'utf8'), 'uber');
    const subgraphs = [a.subgraph, b.subgraph, c.subgraph];
    const merged = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: () =>
          Object.assign({}, ...subgraphs.map((s) => s.schema.getQueryType()!.toConfig().fields)),
      }),
      mutation: new GraphQLObjectType({
        name: 'Mutation',
        fields: () =>
          Object.assign(
            {},
            ...subgraphs
              .filter((s) => s.schema.getMutationType())
              .map((s) => s.schema.getMutationType()!.toConfig().fields),
          ),
      }),
    });
    expect(merged.getType('BigInt')).toBe(a.subgraph.schema.getType('BigInt'));
    expect(merged.getType('BigInt')).toBe(b.subgraph.schema.getType('BigInt'));
    const result = await graphql({
      schema: merged,
      source:
        '{ pets_a_findPets { __typename } pets_b_find_pet_by_id(id: 3) { __typename } uber_products(latitude: 1.5, longitude: 2) { __typename } }',
    });
    expect(JSON.stringify(result.errors)).toBeUndefined();
    expect(a.module.requests.map((r) => r.path)).toEqual(['/api/pets']);
    expect(b.module.requests.map((r) => r.path)).toEqual(['/v2/pets/3']);
    expect(c.module.requests.map((r) => `${r.path}?${r.rawQuery}`)).toEqual([
      '/v1/products?latitude=1.5&longitude=2',
    ]);
  });

  it('wraps loader failures in SPEC_INVALID', async () => {
    const doc = {
      openapi: '3.0.0',
      info: { title: 't', version: '1' },
      paths: {
        '/x': {
          get: {
            operationId: 'x',
            // A request body that is not an object makes the loader itself fail.
            requestBody: 5,
            responses: {},
          },
        },
      },
    };
    const err = await buildSubgraph({
      moduleName: 'broken',
      document: doc,
      endpoint: 'http://127.0.0.1:9',
      timeoutMs: 1000,
      fetch: (u, i) => fetch(u, i),
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isBifrostError(err)).toBe(true);
    expect((err as { code: string }).code).toBe('SPEC_INVALID');
    expect((err as Error).message).toMatch(/broken/);
  });

  it('never reads files or URLs named by external $refs', async () => {
    const doc = {
      swagger: '2.0',
      info: { title: 't', version: '1' },
      paths: {
        '/x': {
          get: {
            operationId: 'x',
            responses: { 200: { description: 'ok', schema: { $ref: '/etc/passwd#/x' } } },
          },
        },
      },
    };
    const h = await harness(JSON.stringify(doc), 'ext', { handler: () => ({ body: '{"a":1}' }) });
    expect(h.subgraph.warnings.join(' ')).toMatch(/external \$ref/);
    const result = await graphql({ schema: h.subgraph.schema, source: '{ ext_x }' });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ ext_x: { a: 1 } });
  });
});
