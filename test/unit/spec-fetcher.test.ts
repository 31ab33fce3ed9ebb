import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BifrostError } from '../../src/core/errors.js';
import { canonicalHash, fetchSpec, parseSpecText } from '../../src/discovery/spec-fetcher.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failure(p: Promise<unknown>): Promise<BifrostError> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: BifrostError) => e,
  );
}

const SWAGGER = {
  swagger: '2.0',
  info: { title: 't', version: '1.2.3' },
  paths: { '/a': { get: { responses: {} } } },
};
const YAML_SPEC = `openapi: 3.0.0\ninfo:\n  title: y\n  version: 2.0\npaths:\n  /b:\n    get:\n      responses: {}\n`;

describe('parseSpecText', () => {
  it('parses JSON and YAML by content', () => {
    expect(parseSpecText(JSON.stringify(SWAGGER))['swagger']).toBe('2.0');
    const y = parseSpecText(YAML_SPEC);
    expect(y['openapi']).toBe('3.0.0');
  });
  it('accepts the 2014 numeric swagger version', () => {
    expect(parseSpecText('{"swagger": 2.0, "info": {}, "paths": {}}')['swagger']).toBe(2);
  });
  it('rejects invalid JSON, HTML, non-objects and non-OpenAPI documents with SPEC_INVALID', () => {
    for (const [text, msg] of [
      ['{"swagger": "2.0",', /invalid JSON/],
      ['<html><body>Swagger UI</body></html>', /HTML/],
      ['[1,2]', /array/],
      ['just words', /object/],
      ['{"name": "not a spec"}', /not a Swagger\/OpenAPI document/],
      ['{"swagger": "1.2"}', /unsupported swagger version/],
      ['{"openapi": "4.0.0"}', /unsupported openapi version/],
      ['a: [1\n', /invalid YAML/],
    ] as const) {
      let err: BifrostError | undefined;
      try {
        parseSpecText(text);
      } catch (e) {
        err = e as BifrostError;
      }
      expect(err?.code, text).toBe('SPEC_INVALID');
      expect(err?.message).toMatch(msg);
    }
  });
});

describe('canonicalHash', () => {
  it('ignores key order but not values', () => {
    expect(canonicalHash({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(
      canonicalHash({ b: { d: 'x', c: [1, 2] }, a: 1 }),
    );
    expect(canonicalHash({ a: [1, 2] })).not.toBe(canonicalHash({ a: [2, 1] }));
    expect(canonicalHash({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('fetchSpec', () => {
  it('fetches JSON at endpoint + docsPath, with hash, version and url', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/docs') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(SWAGGER));
      } else res.writeHead(404).end();
    });
    const spec = await fetchSpec({ endpoint: `${url}/`, docsPath: '/docs', timeoutMs: 2000 });
    expect(spec.url).toBe(`${url}/docs`);
    expect(spec.version).toBe('1.2.3');
    expect(spec.hash).toBe(canonicalHash(SWAGGER));
    expect(spec.document).toEqual(SWAGGER);
  });

  it('parses YAML served with a wrong content-type; numeric info.version becomes a string', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(YAML_SPEC);
    });
    const spec = await fetchSpec({ endpoint: url, docsPath: '/docs', timeoutMs: 2000 });
    expect(spec.document['openapi']).toBe('3.0.0');
    expect(spec.version).toBe('2');
  });

  it('falls back to /docs/swagger.json, then /docs/openapi.json', async () => {
    const seen: string[] = [];
    const url = await serve((req, res) => {
      seen.push(req.url ?? '');
      if (req.url === '/docs') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>Swagger UI</html>');
      } else if (req.url === '/docs/swagger.json') {
        res.writeHead(404).end();
      } else if (req.url === '/docs/openapi.json') {
        res.end(JSON.stringify(SWAGGER));
      } else res.writeHead(500).end();
    });
    const spec = await fetchSpec({ endpoint: url, docsPath: '/docs', timeoutMs: 2000 });
    expect(spec.url).toBe(`${url}/docs/openapi.json`);
    expect(seen).toEqual(['/docs', '/docs/swagger.json', '/docs/openapi.json']);
  });

  it('fails with SPEC_UNREACHABLE naming the URLs when everything is 404', async () => {
    const url = await serve((_req, res) => res.writeHead(404).end());
    const err = await failure(fetchSpec({ endpoint: url, docsPath: '/docs', timeoutMs: 2000 }));
    expect(err.code).toBe('SPEC_UNREACHABLE');
    expect(err.message).toContain(`${url}/docs answered HTTP 404`);
    expect(err.message).toContain(`${url}/docs/swagger.json`);
  });

  it('reports SPEC_INVALID for invalid JSON and for a JSON document that is not OpenAPI', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/bad') res.end('{"swagger": ');
      else if (req.url === '/other') res.end('{"hello": "world"}');
      else res.writeHead(404).end();
    });
    const bad = await failure(fetchSpec({ endpoint: url, docsPath: '/bad', timeoutMs: 2000 }));
    expect(bad.code).toBe('SPEC_INVALID');
    expect(bad.message).toMatch(new RegExp(`${url}/bad: invalid JSON`));
    const other = await failure(fetchSpec({ endpoint: url, docsPath: '/other', timeoutMs: 2000 }));
    expect(other.code).toBe('SPEC_INVALID');
    expect(other.message).toMatch(/not a Swagger\/OpenAPI document/);
  });

  it('times out on a module that never answers', async () => {
    const url = await serve(() => {
      /* never answers */
    });
    const started = Date.now();
    const err = await failure(fetchSpec({ endpoint: url, docsPath: '/docs', timeoutMs: 200 }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err.code).toBe('SPEC_UNREACHABLE');
    expect(err.message).toMatch(/not received within 200 ms/);
  });

  it('reports a refused connection as SPEC_UNREACHABLE', async () => {
    const url = await serve((_req, res) => res.end());
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    const err = await failure(fetchSpec({ endpoint: url, docsPath: '/docs', timeoutMs: 2000 }));
    expect(err.code).toBe('SPEC_UNREACHABLE');
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('follows same-origin redirects and refuses a redirect to another host', async () => {
    const other = await serve((_req, res) => res.end(JSON.stringify(SWAGGER)));
    const url = await serve((req, res) => {
      if (req.url === '/docs') res.writeHead(302, { location: '/v2/docs' }).end();
      else if (req.url === '/v2/docs') res.end(JSON.stringify(SWAGGER));
      else if (req.url === '/evil')
        res.writeHead(301, { location: `${other.replace('127.0.0.1', 'localhost')}/x` }).end();
      else res.writeHead(404).end();
    });
    const ok = await fetchSpec({ endpoint: url, docsPath: '/docs', timeoutMs: 2000 });
    expect(ok.url).toBe(`${url}/v2/docs`);
    const err = await failure(fetchSpec({ endpoint: url, docsPath: '/evil', timeoutMs: 2000 }));
    expect(err.code).toBe('SPEC_UNREACHABLE');
    expect(err.message).toMatch(/redirects to another host/);
  });

  it('refuses a spec larger than the limit', async () => {
    const big = JSON.stringify({ ...SWAGGER, padding: 'x'.repeat(5000) });
    const url = await serve((_req, res) => res.end(big));
    const err = await failure(
      fetchSpec({ endpoint: url, docsPath: '/docs', timeoutMs: 2000, maxBytes: 1000 }),
    );
    expect(err.code).toBe('SPEC_INVALID');
    expect(err.message).toMatch(/too large/);
  });

  it('specSource overrides endpoint + docsPath: URL or local file', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/elsewhere.yaml') res.end(YAML_SPEC);
      else res.writeHead(404).end();
    });
    const viaUrl = await fetchSpec({
      endpoint: 'http://127.0.0.1:9',
      docsPath: '/docs',
      specSource: `${url}/elsewhere.yaml`,
      timeoutMs: 2000,
    });
    expect(viaUrl.document['openapi']).toBe('3.0.0');
    const dir = mkdtempSync(join(tmpdir(), 'bifrost-spec-'));
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(SWAGGER));
    const viaFile = await fetchSpec({
      endpoint: 'http://x',
      docsPath: '/docs',
      specSource: 'spec.json',
      cwd: dir,
      timeoutMs: 100,
    });
    expect(viaFile.url).toBe(`file://${join(dir, 'spec.json')}`);
    expect(viaFile.version).toBe('1.2.3');
    const missing = await failure(
      fetchSpec({
        endpoint: 'http://x',
        docsPath: '/docs',
        specSource: join(dir, 'nope.json'),
        timeoutMs: 100,
      }),
    );
    expect(missing.code).toBe('SPEC_UNREACHABLE');
  });
});
