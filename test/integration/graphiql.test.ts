import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

import { afterEach, describe, expect, it } from 'vitest';

import { createGraphiQLHandler } from '../../src/server/graphiql.js';
import type { GraphiQLOptions } from '../../src/server/graphiql.js';

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
});

/** A gateway-like server: the page at `{basePath}/graphiql`, assets below it, 404 otherwise. */
async function startServer(options: GraphiQLOptions): Promise<string> {
  const handler = createGraphiQLHandler(options);
  const basePath = options.basePath ?? '';
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname === `${basePath}/graphiql`) return handler.servePage(req, res);
    if (pathname.startsWith(handler.assetPrefix)) {
      if (handler.serveAsset(req, res, pathname.slice(handler.assetPrefix.length))) return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"code":"NOT_FOUND"}');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Raw GET through node:http (fetch always asks for gzip and decodes it). */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

const attributeUrls = (html: string): string[] =>
  [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((match) => match[1]!);

describe('GraphiQL served offline', () => {
  it('serves a page whose every asset is served by the gateway itself', async () => {
    const origin = await startServer({ graphqlPath: '/graphql', defaultQuery: '{ __typename }' });
    const page = await fetch(`${origin}/graphiql`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();

    expect(html).toContain('<link rel="icon" href="data:," />');
    expect(html).toContain('GraphiQL.createFetcher');
    expect(html).toContain('isHeadersEditorEnabled: true');
    // No CDN: nothing in the page points off the gateway.
    expect(html).not.toMatch(/https?:\/\//);

    const urls = attributeUrls(html).filter((url) => url !== 'data:,');
    expect(urls.map((url) => url.replace(/\?.*$/, '')).sort()).toEqual(
      [
        '/graphiql/assets/graphiql.min.css',
        '/graphiql/assets/graphiql.min.js',
        '/graphiql/assets/react-dom.production.min.js',
        '/graphiql/assets/react.production.min.js',
      ].sort(),
    );
    // React must load before ReactDOM, both before GraphiQL.
    const scripts = urls.filter((url) => url.includes('.js'));
    expect(scripts.map((url) => url.replace(/\?.*$/, '').split('/').pop())).toEqual([
      'react.production.min.js',
      'react-dom.production.min.js',
      'graphiql.min.js',
    ]);

    for (const url of urls) {
      const response = await fetch(origin + url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type'), url).toBe(
        url.includes('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      );
      expect(response.headers.get('cache-control'), url).toContain('immutable');
      const body = await response.text();
      expect(body.length, url).toBeGreaterThan(10_000);
      expect(body, url).not.toContain('sourceMappingURL=');
    }
  });

  it('compresses assets when the client accepts gzip, and only then', async () => {
    const origin = await startServer({ graphqlPath: '/graphql', defaultQuery: '' });
    const url = `${origin}/graphiql/assets/graphiql.min.js`;

    const plain = await rawGet(url);
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-length']).toBe(String(plain.body.length));
    expect(plain.body.toString('utf8')).toContain('createFetcher');

    const zipped = await rawGet(url, { 'accept-encoding': 'br, gzip;q=0.8' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('Accept-Encoding');
    expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);

    const refused = await rawGet(url, { 'accept-encoding': 'gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();

    const revalidated = await rawGet(url, { 'if-none-match': String(plain.headers.etag) });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body.length).toBe(0);
  });

  it('returns false for unknown assets so the caller answers 404', async () => {
    const origin = await startServer({ graphqlPath: '/graphql', defaultQuery: '' });
    const response = await fetch(`${origin}/graphiql/assets/..%2F..%2Fpackage.json`);
    expect(response.status).toBe(404);
    expect((await fetch(`${origin}/graphiql/assets/graphiql.js.map`)).status).toBe(404);
    const post = await fetch(`${origin}/graphiql`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('prefills the Authorization header only when a token is given', async () => {
    const withToken = await startServer({
      graphqlPath: '/graphql',
      defaultQuery: '{ __typename }',
      defaultToken: 'dev-token-123',
    });
    const html = await (await fetch(`${withToken}/graphiql`)).text();
    const config = JSON.parse(/var config = (.*);/.exec(html)![1]!) as Record<string, string>;
    expect(JSON.parse(config.defaultHeaders!)).toEqual({ Authorization: 'Bearer dev-token-123' });
    expect(config.url).toBe('/graphql');
    expect(config.defaultQuery).toBe('{ __typename }');

    const handler = createGraphiQLHandler({ graphqlPath: '/graphql', defaultQuery: '' });
    expect(handler.assetPaths).toHaveLength(4);
    const withoutToken = await startServer({ graphqlPath: '/graphql', defaultQuery: '' });
    const plainHtml = await (await fetch(`${withoutToken}/graphiql`)).text();
    expect(plainHtml).not.toContain('Authorization');
    expect(plainHtml).not.toContain('defaultHeaders"');
  });

  it('keeps a hostile default query inside its script element', async () => {
    const query = '# </script><script>alert(1)</script>\n{ __typename }';
    const origin = await startServer({ graphqlPath: '/graphql', defaultQuery: query });
    const html = await (await fetch(`${origin}/graphiql`)).text();
    expect(html).not.toContain('<script>alert(1)');
    const config = JSON.parse(/var config = (.*);/.exec(html)![1]!) as { defaultQuery: string };
    expect(config.defaultQuery).toBe(query);
  });

  it('honours basePath for the asset URLs', async () => {
    const origin = await startServer({
      graphqlPath: '/gw/graphql',
      defaultQuery: '',
      basePath: '/gw/',
    });
    const html = await (await fetch(`${origin}/gw/graphiql`)).text();
    const urls = attributeUrls(html).filter((url) => url !== 'data:,');
    expect(urls.every((url) => url.startsWith('/gw/graphiql/assets/'))).toBe(true);
    for (const url of urls) expect((await fetch(origin + url)).status).toBe(200);
  });
});
