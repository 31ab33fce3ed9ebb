import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mergeOpenApi } from '../../src/discovery/merge-openapi.js';

const SPECS = '/work/shared/specs';
const load = (f: string) =>
  JSON.parse(readFileSync(`${SPECS}/${f}`, 'utf8')) as Record<string, unknown>;

function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refs(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

function resolves(doc: Record<string, unknown>, ref: string): boolean {
  let cur: unknown = doc;
  for (const t of ref.slice(2).split('/')) {
    cur = (cur as Record<string, unknown> | undefined)?.[t.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur !== undefined;
}

describe('mergeOpenApi', () => {
  const merged = mergeOpenApi(
    [
      { name: 'pets', document: load('v2.0_json_petstore-expanded.json') },
      { name: 'store', document: load('v3.0_petstore-expanded.json') },
      {
        name: 'old',
        document: load('v2.0_json_petstore-expanded-2014-numeric-version-relative-ref.json'),
      },
      { name: 'links', document: load('v3.0_link-example.json') },
      { name: 'uber', document: load('v2.0_json_uber.json') },
    ],
    { gatewayUrl: 'https://gw.example/' },
  );
  const paths = merged['paths'] as Record<string, Record<string, Record<string, unknown>>>;
  const schemas = (merged['components'] as Record<string, Record<string, unknown>>)['schemas']!;

  it('is OpenAPI 3.0 with the gateway as server', () => {
    expect(merged['openapi']).toBe('3.0.3');
    expect(merged['servers']).toEqual([{ url: 'https://gw.example' }]);
  });

  it('prefixes paths with /{module}{basePath}', () => {
    expect(Object.keys(paths)).toContain('/pets/api/pets/{id}');
    expect(Object.keys(paths)).toContain('/store/v2/pets');
    expect(Object.keys(paths)).toContain('/uber/v1/estimates/price');
    expect(Object.keys(paths)).toContain('/links/2.0/users/{username}');
  });

  it('prefixes operationIds, generating missing ones from method + path', () => {
    expect(paths['/pets/api/pets']!['get']!['operationId']).toBe('pets_findPets');
    expect(paths['/store/v2/pets/{id}']!['get']!['operationId']).toBe('store_find pet by id');
    expect(paths['/uber/v1/estimates/price']!['get']!['operationId']).toBe(
      'uber_get_estimates_price',
    );
  });

  it('prefixes schemas, converts Swagger 2 definitions and rewrites every $ref', () => {
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(['Pets_Pet', 'Store_Pet', 'Old_newPet', 'Uber_Product', 'Links_user']),
    );
    for (const ref of refs(merged)) {
      expect(ref.startsWith('#/components/'), ref).toBe(true);
      expect(resolves(merged, ref), ref).toBe(true);
    }
    // 2014 relative "$ref": "pet"
    expect(JSON.stringify(schemas['Old_newPet'])).toContain('#/components/schemas/Old_pet');
  });

  it('converts Swagger 2 parameters and bodies loosely', () => {
    const find = paths['/pets/api/pets']!['get']!;
    expect(find['parameters']).toContainEqual(
      expect.objectContaining({
        name: 'tags',
        in: 'query',
        style: 'form',
        explode: false,
        schema: expect.objectContaining({ type: 'array' }),
      }),
    );
    const add = paths['/pets/api/pets']!['post']!;
    expect(add['requestBody']).toMatchObject({
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Pets_NewPet' } } },
    });
    expect(add['responses']).toMatchObject({
      200: {
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Pets_Pet' } } },
      },
    });
  });

  it('prefixes tags and link operationIds', () => {
    const tags = (merged['tags'] as Array<{ name: string }>).map((t) => t.name);
    expect(tags).toContain('pets');
    expect(tags).toContain('uber_Products');
    expect(paths['/uber/v1/products']!['get']!['tags']).toEqual(['uber_Products']);
    const links = (merged['components'] as Record<string, Record<string, Record<string, unknown>>>)[
      'links'
    ]!;
    expect(links['Links_UserRepositories']!['operationId']).toBe('links_getRepositoriesByOwner');
  });

  it('is pure: inputs are not modified', () => {
    const doc = load('v2.0_json_petstore-expanded.json');
    const copy = structuredClone(doc);
    mergeOpenApi([{ name: 'p', document: doc }]);
    expect(doc).toEqual(copy);
  });
});
