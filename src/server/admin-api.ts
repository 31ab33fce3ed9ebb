import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { BifrostError } from '../core/errors.js';
import { docsPathField, httpUrlField, moduleNameField } from '../core/module-fields.js';
import type { ModuleRecord } from '../core/types.js';
import type { GatewayRuntime } from '../runtime/runtime.js';
import { sendJson } from './http-utils.js';
import type { Principal } from './auth.js';

export interface AdminRequest {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  principal: Principal;
  /** Parsed JSON body (read on demand, bounded). */
  body(): Promise<unknown>;
}

export interface AdminRoute {
  method: string;
  /** Path below `/admin`, with `:param` segments. */
  path: string;
  handler: (r: AdminRequest) => Promise<void>;
}

/** Turns zod issues into the 400 answer listing every problem. */
export function validationError(error: z.ZodError, what = 'payload'): BifrostError {
  const problems = error.issues.map((i) => ({
    field: i.path.join('.') || '(body)',
    message: i.message,
  }));
  return new BifrostError(
    'VALIDATION_FAILED',
    `Invalid ${what}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
    { details: problems },
  );
}

export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what?: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error, what);
  return r.data;
}

const httpUrl = httpUrlField;
const docsPath = docsPathField;
const moduleName = moduleNameField;

const createModuleSchema = z
  .object({
    name: moduleName,
    endpoint: httpUrl,
    docsPath: docsPath.optional(),
    specUrl: httpUrl.optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

const patchModuleSchema = z
  .object({
    endpoint: httpUrl.optional(),
    docsPath: docsPath.optional(),
    specUrl: httpUrl.nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

/** Module as shown by the admin API (the spec document only on request). */
export function moduleJson(m: ModuleRecord, includeSpec = false): Record<string, unknown> {
  return {
    id: m.id,
    name: m.name,
    endpoint: m.endpoint,
    docsPath: m.docsPath,
    specUrl: m.specSource,
    enabled: m.enabled,
    origin: m.origin,
    status: m.status,
    lastError: m.lastError,
    statusDetail: m.statusDetail,
    specHash: m.specHash,
    specVersion: m.specVersion,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
    ...(includeSpec ? { spec: m.spec } : {}),
  };
}

function notFound(name: string): BifrostError {
  return new BifrostError('MODULE_NOT_FOUND', `No logic module named '${name}'`);
}

/** Admin routes for modules, schema and status. */
export function moduleAdminRoutes(
  runtime: GatewayRuntime,
  info: { startedAt: Date; brokerState: () => string },
): AdminRoute[] {
  const registry = runtime.registry;
  return [
    {
      method: 'POST',
      path: '/modules',
      async handler({ res, body }) {
        const input = parseWith(createModuleSchema, await body(), 'module');
        if (await registry.getModule(input.name)) {
          throw new BifrostError('CONFLICT', `A module named '${input.name}' already exists`);
        }
        await runtime.checkEndpoint(input.endpoint);
        if (input.specUrl) await runtime.checkEndpoint(input.specUrl);
        const m = await runtime.addModule({
          name: input.name,
          endpoint: input.endpoint,
          docsPath: input.docsPath ?? '/docs',
          specSource: input.specUrl ?? null,
          enabled: input.enabled ?? true,
          origin: 'admin',
        });
        sendJson(res, 201, moduleJson(m), { location: `/admin/modules/${m.name}` });
      },
    },
    {
      method: 'GET',
      path: '/modules',
      async handler({ res }) {
        const modules = await registry.listModules();
        sendJson(res, 200, { modules: modules.map((m) => moduleJson(m)) });
      },
    },
    {
      method: 'GET',
      path: '/modules/:name',
      async handler({ res, params, query }) {
        const m = await registry.getModule(params['name']!);
        if (!m) throw notFound(params['name']!);
        const history = await registry.listHistory(m.name);
        sendJson(res, 200, {
          ...moduleJson(m, query.get('include') === 'spec'),
          history: history.map((h) => ({ ...h, createdAt: h.createdAt.toISOString() })),
        });
      },
    },
    {
      method: 'PATCH',
      path: '/modules/:name',
      async handler({ res, params, body }) {
        const patch = parseWith(patchModuleSchema, await body(), 'module patch');
        if (patch.endpoint) await runtime.checkEndpoint(patch.endpoint);
        if (patch.specUrl) await runtime.checkEndpoint(patch.specUrl);
        const m = await runtime.updateModule(params['name']!, {
          ...(patch.endpoint !== undefined ? { endpoint: patch.endpoint } : {}),
          ...(patch.docsPath !== undefined ? { docsPath: patch.docsPath } : {}),
          ...(patch.specUrl !== undefined ? { specSource: patch.specUrl } : {}),
          ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
        });
        if (!m) throw notFound(params['name']!);
        sendJson(res, 200, moduleJson(m));
      },
    },
    {
      method: 'DELETE',
      path: '/modules/:name',
      async handler({ res, params }) {
        if (!(await runtime.removeModule(params['name']!))) throw notFound(params['name']!);
        res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      path: '/modules/:name/refresh',
      async handler({ res, params, query }) {
        // force=true applies a new spec even when it breaks stored joins (module `degraded`).
        const m = await runtime.refreshModule(params['name']!, {
          force: query.get('force') === 'true',
        });
        if (!m) throw notFound(params['name']!);
        sendJson(res, 200, moduleJson(m));
      },
    },
    {
      method: 'GET',
      path: '/schema',
      async handler({ res }) {
        const s = runtime.snapshot();
        if (!s) throw new BifrostError('SCHEMA_NOT_READY');
        res.writeHead(200, {
          'content-type': 'text/plain; charset=utf-8',
          'x-schema-version': s.version,
        });
        res.end(s.sdl);
      },
    },
    {
      method: 'GET',
      path: '/status',
      async handler({ res }) {
        const s = runtime.snapshot();
        const modules = await registry.listModules().catch(() => null);
        sendJson(res, 200, {
          ready: s !== null,
          startedAt: info.startedAt.toISOString(),
          schema: s
            ? {
                version: s.version,
                builtAt: s.builtAt.toISOString(),
                buildMs: Math.round(s.buildMs * 10) / 10,
              }
            : null,
          lastRebuild: runtime.lastRebuild
            ? {
                ...runtime.lastRebuild,
                at: runtime.lastRebuild.at.toISOString(),
                ms: Math.round(runtime.lastRebuild.ms * 10) / 10,
              }
            : null,
          rebuilds: { total: runtime.rebuildCount, failed: runtime.rebuildFailures },
          broker: info.brokerState(),
          database: modules ? 'ok' : 'unreachable',
          modules: (modules ?? [...(s?.modules.values() ?? [])].map((v) => v.record)).map((m) => ({
            name: m.name,
            status: m.status,
            enabled: m.enabled,
            lastError: m.lastError,
            statusDetail: m.statusDetail,
            specVersion: m.specVersion,
            specHash: m.specHash,
            inSchema: s?.modules.get(m.name)?.inSchema ?? false,
            subgraphBuilds: runtime.subgraphBuilds.get(m.name) ?? 0,
            updatedAt: m.updatedAt.toISOString(),
          })),
        });
      },
    },
  ];
}

/** Compiles routes into a matcher. */
export function createAdminRouter(routes: AdminRoute[]) {
  const compiled = routes.map((r) => {
    const names: string[] = [];
    const re = new RegExp(
      '^' +
        r.path.replace(/:([a-zA-Z]+)/g, (_, n: string) => {
          names.push(n);
          return '([^/]+)';
        }) +
        '/?$',
    );
    return { ...r, re, names };
  });
  return function route(
    method: string,
    path: string,
  ): { route: AdminRoute; params: Record<string, string> } | 'method' | null {
    let pathMatched = false;
    for (const r of compiled) {
      const m = r.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => {
        let value: string;
        try {
          value = decodeURIComponent(m[i + 1]!);
        } catch {
          throw new BifrostError('BAD_REQUEST', `Malformed escape in '${m[i + 1]}'`);
        }
        if (hasControlCharacter(value)) {
          throw new BifrostError('BAD_REQUEST', `Control character in path parameter '${n}'`);
        }
        params[n] = value;
      });
      return { route: r, params };
    }
    return pathMatched ? 'method' : null;
  };
}

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
