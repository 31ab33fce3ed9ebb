/**
 * GraphiQL served offline: the prebuilt `graphiql` 3.9 browser bundle and the React 18 UMD
 * builds are read from `node_modules` and served by the gateway itself, so the IDE works on a
 * machine without internet access (no CDN URL anywhere in the page).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

const gzip = promisify(gzipCallback);
const require = createRequire(import.meta.url);

export interface GraphiQLOptions {
  /** URL path of the GraphQL endpoint the IDE sends operations to, e.g. `/graphql`. */
  graphqlPath: string;
  /** Query shown in the editor on first visit (GraphiQL keeps the user's tabs afterwards). */
  defaultQuery: string;
  /**
   * Token prefilled in the headers editor as `{"Authorization": "Bearer <token>"}`.
   * Development convenience only: pass it only in development mode. Default: none.
   */
  defaultToken?: string;
  /**
   * Prefix under which the gateway is mounted (no trailing slash), e.g. `/gateway`. Assets are
   * served at `{basePath}/graphiql/assets/<name>`. Default `''`.
   */
  basePath?: string;
  /** Page title. Default `BiFrost GraphiQL`. */
  title?: string;
}

export interface GraphiQLHandler {
  /** Answers GET/HEAD with the GraphiQL page (405 for other methods). */
  servePage(req: IncomingMessage, res: ServerResponse): void;
  /**
   * Serves one asset by file name (`graphiql.min.js`, ...). Returns false, writing nothing,
   * when the name is not one of the assets, so the caller can answer 404 its own way.
   */
  serveAsset(req: IncomingMessage, res: ServerResponse, assetName: string): boolean;
  /** URL paths of every asset (`{basePath}/graphiql/assets/<name>`), without query string. */
  assetPaths: string[];
  /** URL path prefix of the assets, `{basePath}/graphiql/assets/`. */
  assetPrefix: string;
  /** Reads and compresses every asset now, so the first page load does not wait for it. */
  preload(): Promise<void>;
}

interface AssetSource {
  name: string;
  file: string;
  contentType: string;
  /** Package version, used as the cache-busting `?v=` of the asset URL. */
  version: string;
}

interface LoadedAsset {
  raw: Buffer;
  gzipped: Buffer;
  etag: string;
}

function packageDir(name: string): { dir: string; version: string } {
  // Deep imports (`graphiql/graphiql.min.js`) are not exported: resolve package.json instead.
  const packageJson = require.resolve(`${name}/package.json`);
  const { version } = require(packageJson) as { version: string };
  return { dir: dirname(packageJson), version };
}

/** The files GraphiQL needs in a browser, in `<script>` order after the stylesheet. */
function assetSources(): AssetSource[] {
  const graphiql = packageDir('graphiql');
  const react = packageDir('react');
  const reactDom = packageDir('react-dom');
  const js = 'text/javascript; charset=utf-8';
  return [
    {
      name: 'graphiql.min.css',
      file: join(graphiql.dir, 'graphiql.min.css'),
      contentType: 'text/css; charset=utf-8',
      version: graphiql.version,
    },
    {
      name: 'react.production.min.js',
      file: join(react.dir, 'umd', 'react.production.min.js'),
      contentType: js,
      version: react.version,
    },
    {
      name: 'react-dom.production.min.js',
      file: join(reactDom.dir, 'umd', 'react-dom.production.min.js'),
      contentType: js,
      version: reactDom.version,
    },
    {
      name: 'graphiql.min.js',
      file: join(graphiql.dir, 'graphiql.min.js'),
      contentType: js,
      version: graphiql.version,
    },
  ];
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** JSON that is safe inside a `<script>` element (no `</script>`, no line separators). */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function methodNotAllowed(res: ServerResponse): void {
  res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
  res.end('Method Not Allowed');
}

export function createGraphiQLHandler(options: GraphiQLOptions): GraphiQLHandler {
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const assetPrefix = `${basePath}/graphiql/assets/`;
  const sources = new Map(assetSources().map((source) => [source.name, source]));
  const loaded = new Map<string, Promise<LoadedAsset>>();

  const load = (source: AssetSource): Promise<LoadedAsset> => {
    let asset = loaded.get(source.name);
    if (!asset) {
      asset = (async () => {
        let raw = await readFile(source.file);
        if (source.name.endsWith('.js')) {
          // The bundles point at source maps that are not shipped: drop the comment so browser
          // dev tools do not request a file that 404s.
          raw = Buffer.from(raw.toString('utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
        }
        const gzipped = await gzip(raw, { level: 9 });
        const etag = `"${createHash('sha256').update(raw).digest('base64url').slice(0, 27)}"`;
        return { raw, gzipped, etag };
      })();
      // A failed read is not cached: the next request tries again.
      asset.catch(() => loaded.delete(source.name));
      loaded.set(source.name, asset);
    }
    return asset;
  };

  const assetUrl = (source: AssetSource): string =>
    `${assetPrefix}${source.name}?v=${encodeURIComponent(source.version)}`;

  const page = buildPage({
    title: options.title ?? 'BiFrost GraphiQL',
    graphqlPath: options.graphqlPath,
    defaultQuery: options.defaultQuery,
    defaultHeaders:
      options.defaultToken === undefined
        ? undefined
        : JSON.stringify({ Authorization: `Bearer ${options.defaultToken}` }, null, 2),
    styles: [...sources.values()].filter((s) => s.name.endsWith('.css')).map(assetUrl),
    scripts: [...sources.values()].filter((s) => s.name.endsWith('.js')).map(assetUrl),
  });

  const sendAsset = (
    req: IncomingMessage,
    res: ServerResponse,
    source: AssetSource,
    asset: LoadedAsset,
  ): void => {
    const version = new URL(req.url ?? '/', 'http://localhost').searchParams.get('v');
    const headers: Record<string, string | number> = {
      'content-type': source.contentType,
      // Versioned URLs (what the page uses) never change; anything else revalidates.
      'cache-control':
        version === source.version ? 'public, max-age=31536000, immutable' : 'no-cache',
      etag: asset.etag,
      vary: 'Accept-Encoding',
      'x-content-type-options': 'nosniff',
    };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const body = acceptsGzip(req) ? asset.gzipped : asset.raw;
    if (body === asset.gzipped) headers['content-encoding'] = 'gzip';
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  return {
    assetPrefix,
    assetPaths: [...sources.keys()].map((name) => assetPrefix + name),

    servePage(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res);
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        // The page may carry a development token: never store it in shared caches.
        'cache-control': 'no-store',
        'content-length': page.length,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
      res.end(req.method === 'HEAD' ? undefined : page);
    },

    serveAsset(req, res, assetName) {
      const source = sources.get(assetName);
      if (!source) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        methodNotAllowed(res);
        return true;
      }
      load(source).then(
        (asset) => sendAsset(req, res, source, asset),
        () => {
          if (res.headersSent) return void res.destroy();
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          res.end(`GraphiQL asset ${assetName} could not be read`);
        },
      );
      return true;
    },

    async preload() {
      await Promise.all([...sources.values()].map(load));
    },
  };
}

function buildPage(page: {
  title: string;
  graphqlPath: string;
  defaultQuery: string;
  defaultHeaders: string | undefined;
  styles: string[];
  scripts: string[];
}): Buffer {
  const config = {
    url: page.graphqlPath,
    defaultQuery: page.defaultQuery,
    ...(page.defaultHeaders === undefined ? {} : { defaultHeaders: page.defaultHeaders }),
  };
  return Buffer.from(`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>${escapeHtml(page.title)}</title>
    <link rel="icon" href="data:," />
${page.styles.map((href) => `    <link rel="stylesheet" href="${escapeHtml(href)}" />`).join('\n')}
    <style>
      html, body, #graphiql { height: 100%; margin: 0; overflow: hidden; }
    </style>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL...</div>
${page.scripts.map((src) => `    <script src="${escapeHtml(src)}"></script>`).join('\n')}
    <script>
      (function () {
        var config = ${scriptJson(config)};
        var props = {
          fetcher: GraphiQL.createFetcher({ url: new URL(config.url, window.location.href).href }),
          defaultQuery: config.defaultQuery,
          isHeadersEditorEnabled: true,
        };
        if (config.defaultHeaders) props.defaultHeaders = config.defaultHeaders;
        ReactDOM.createRoot(document.getElementById('graphiql')).render(
          React.createElement(GraphiQL, props),
        );
      })();
    </script>
  </body>
</html>
`);
}
