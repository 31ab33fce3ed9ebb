import { describe, expect, it } from 'vitest';
import {
  analyzeSpec,
  basePathOf,
  createOperationMatcher,
  listOperations,
} from '../../src/discovery/spec-operations.js';

const swagger = {
  swagger: '2.0',
  info: { title: 't', version: '1' },
  basePath: '/api/',
  paths: {
    '/pets': { get: { operationId: 'findPets' }, post: {} },
    '/pets/{id}': {
      get: { operationId: 'getPet' },
      delete: { operationId: 'deletePet' },
      parameters: [],
    },
    '/pets/mine': { get: { operationId: 'myPets' } },
    '/': { get: { operationId: 'root' } },
  },
};

describe('basePathOf', () => {
  it('reads Swagger 2 basePath and OAS3 servers (variables, relative URLs)', () => {
    expect(basePathOf(swagger)).toBe('/api');
    expect(basePathOf({ swagger: '2.0' })).toBe('');
    expect(
      basePathOf({ openapi: '3.0.0', servers: [{ url: 'https://petstore.swagger.io/v2' }] }),
    ).toBe('/v2');
    expect(
      basePathOf({
        openapi: '3.0.1',
        servers: [
          {
            url: '{scheme}://developer.uspto.gov/ds-api',
            variables: { scheme: { default: 'https' } },
          },
        ],
      }),
    ).toBe('/ds-api');
    expect(
      basePathOf({
        openapi: '3.0.0',
        servers: [{ url: 'https://{host}/{base}/v1', variables: { base: { default: 'svc' } } }],
      }),
    ).toBe('/svc/v1');
    expect(basePathOf({ openapi: '3.0.0', servers: [{ url: '/relative/path/' }] })).toBe(
      '/relative/path',
    );
    expect(basePathOf({ openapi: '3.0.0', servers: [{ url: 'https://example.com' }] })).toBe('');
    expect(basePathOf({ openapi: '3.1.0' })).toBe('');
  });
});

describe('listOperations', () => {
  it('lists every method of every path with its operationId or null', () => {
    const ops = listOperations(swagger);
    expect(ops).toContainEqual({
      method: 'post',
      path: '/pets',
      operationId: null,
      basePath: '/api',
    });
    expect(ops).toContainEqual({
      method: 'delete',
      path: '/pets/{id}',
      operationId: 'deletePet',
      basePath: '/api',
    });
    expect(ops).toHaveLength(6);
  });
});

describe('analyzeSpec', () => {
  it('warns when a document has webhooks but no paths', () => {
    const a = analyzeSpec({ openapi: '3.1.0', info: {}, webhooks: { newPet: { post: {} } } });
    expect(a.operationCount).toBe(0);
    expect(a.webhookCount).toBe(1);
    expect(a.warnings).toEqual([
      'document has 1 webhook(s) (newPet) but no paths: nothing callable',
    ]);
  });
  it('counts callbacks and is quiet for a normal spec', () => {
    expect(analyzeSpec(swagger)).toEqual({
      operationCount: 6,
      webhookCount: 0,
      callbackCount: 0,
      warnings: [],
    });
    const cb = analyzeSpec({
      openapi: '3.0.0',
      paths: { '/s': { post: { callbacks: { onData: {} } } } },
    });
    expect(cb.callbackCount).toBe(1);
    expect(cb.warnings[0]).toMatch(/callback/);
  });
});

describe('createOperationMatcher', () => {
  const match = createOperationMatcher(swagger);
  it('matches basePath + template and the template alone; upstreamPath always has the base path', () => {
    expect(match('GET', '/api/pets')).toMatchObject({
      operationId: 'findPets',
      upstreamPath: '/api/pets',
    });
    expect(match('GET', '/pets')).toMatchObject({
      operationId: 'findPets',
      upstreamPath: '/api/pets',
    });
    expect(match('get', '/api/pets/42')).toMatchObject({
      operationId: 'getPet',
      params: { id: '42' },
      upstreamPath: '/api/pets/42',
    });
  });
  it('tolerates a trailing slash and ignores the query string', () => {
    expect(match('GET', '/api/pets/')?.operationId).toBe('findPets');
    expect(match('GET', '/api/pets?limit=3')?.operationId).toBe('findPets');
  });
  it('a parameter matches exactly one segment; literal templates win', () => {
    expect(match('GET', '/api/pets/1/2')).toBeNull();
    expect(match('GET', '/api/pets/mine')?.operationId).toBe('myPets');
    expect(match('DELETE', '/api/pets/a%20b')).toMatchObject({
      operationId: 'deletePet',
      params: { id: 'a b' },
    });
  });
  it('checks the method and unknown paths', () => {
    expect(match('PUT', '/api/pets')).toBeNull();
    expect(match('POST', '/api/pets')).toMatchObject({ method: 'post', operationId: null });
    expect(match('GET', '/nothing')).toBeNull();
  });
  it('matches the root path with and without base path', () => {
    expect(match('GET', '/api')?.operationId).toBe('root');
    expect(match('GET', '/api/')?.operationId).toBe('root');
    expect(match('GET', '/')?.operationId).toBe('root');
  });
  it('works without a base path', () => {
    const m = createOperationMatcher({
      openapi: '3.0.0',
      paths: { '/2.0/users/{username}': { get: { operationId: 'u' } } },
    });
    expect(m('GET', '/2.0/users/alice')).toMatchObject({
      operationId: 'u',
      params: { username: 'alice' },
      upstreamPath: '/2.0/users/alice',
    });
  });
});
