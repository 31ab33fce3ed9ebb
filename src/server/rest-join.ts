import { getNamedType } from 'graphql';
import { dataMeshOf } from '../composition/join-extender.js';
import type { JoinPlan } from '../composition/join-resolvers.js';
import { BifrostError } from '../core/errors.js';
import { prefixedFieldName, typePrefix } from '../core/names.js';
import type { GatewayRuntime } from '../runtime/runtime.js';
import type { UpstreamClient } from '../upstream/upstream-client.js';
import type { RestJoinHook } from './http-server.js';
import { sendJson } from './http-utils.js';

interface Embed {
  field: string;
  resolve: (parent: unknown, args: unknown, context: never) => unknown;
}

/**
 * Legacy `?join` on REST reads: fetches the module's JSON (list, paginated `{ results: [...] }`
 * or one object), then adds under each applicable join's field name (and reverse field name) the
 * joined objects, loaded by the same per-request DataLoaders as GraphQL. The response's type is
 * the return type of the composed root field of the matched operation (falling back to the
 * module's only type with joins). `join` is not forwarded upstream. A module answer outside 2xx
 * comes back unchanged; a join that fails holds null and is listed in `_joinErrors`.
 */
export function createRestJoin(_runtime: GatewayRuntime, upstream: UpstreamClient): RestJoinHook {
  return async ({ res, moduleName, rest, search, context }) => {
    const snapshot = context.snapshot;
    const mesh = dataMeshOf(snapshot);
    const view = snapshot.modules.get(moduleName);
    if (!mesh || !view?.match || !view.record.enabled) return false;
    const op = view.match('GET', rest);
    if (!op) return false;

    const typeName = responseType(snapshot.schema, moduleName, op.operationId, mesh.plans);
    const embeds: Embed[] = [];
    for (const plan of mesh.plans.values()) {
      if (plan.sourceTypeName === typeName)
        embeds.push({
          field: plan.def.fieldName,
          resolve: plan.resolveForward as Embed['resolve'],
        });
      if (plan.targetTypeName === typeName && plan.def.reverseFieldName) {
        embeds.push({
          field: plan.def.reverseFieldName,
          resolve: plan.resolveReverse as Embed['resolve'],
        });
      }
    }

    const params = new URLSearchParams(search);
    params.delete('join');
    const qs = params.toString();
    const url = `${view.record.endpoint.replace(/\/+$/, '')}${op.upstreamPath}${qs ? `?${qs}` : ''}`;
    const answer = await upstream.getJson(moduleName, url, context.forwardHeaders);
    const headers = { 'x-request-id': context.requestId };
    if (answer.status < 200 || answer.status >= 300 || embeds.length === 0) {
      sendJson(res, answer.status, answer.body, headers);
      return true;
    }
    const body = answer.body;
    const items: unknown[] = Array.isArray(body)
      ? body
      : body !== null &&
          typeof body === 'object' &&
          Array.isArray((body as { results?: unknown }).results)
        ? (body as { results: unknown[] }).results
        : body !== null && typeof body === 'object'
          ? [body]
          : [];
    const errors: Array<{ index: number; field: string; code: string; message: string }> = [];
    await Promise.all(
      items.flatMap((item, index) =>
        item !== null && typeof item === 'object'
          ? embeds.map(async (e) => {
              const target = item as Record<string, unknown>;
              try {
                target[e.field] = await e.resolve(item, {}, context as never);
              } catch (err) {
                target[e.field] = null;
                const b =
                  err instanceof BifrostError ? err : new BifrostError('JOIN_FAILED', String(err));
                errors.push({ index, field: e.field, code: b.code, message: b.message });
                context.logger.warn(
                  { module: moduleName, field: e.field, err: b.message },
                  'REST join failed',
                );
              }
            })
          : [],
      ),
    );
    if (errors.length > 0 && body !== null && typeof body === 'object' && !Array.isArray(body)) {
      (body as Record<string, unknown>)['_joinErrors'] = errors;
    }
    sendJson(
      res,
      answer.status,
      body,
      errors.length > 0 ? { ...headers, 'x-bifrost-join-errors': String(errors.length) } : headers,
    );
    return true;
  };
}

function responseType(
  schema: import('graphql').GraphQLSchema,
  moduleName: string,
  operationId: string | null,
  plans: Map<string, JoinPlan>,
): string | null {
  const field = operationId
    ? schema.getQueryType()?.getFields()[prefixedFieldName(moduleName, operationId)]
    : undefined;
  if (field) return getNamedType(field.type).name;
  // No operationId (or a renamed field): the module's only type that has joins.
  const prefix = `${typePrefix(moduleName)}_`;
  const types = new Set<string>();
  for (const p of plans.values()) {
    if (p.sourceTypeName.startsWith(prefix)) types.add(p.sourceTypeName);
    if (p.def.reverseFieldName && p.targetTypeName.startsWith(prefix)) types.add(p.targetTypeName);
  }
  return types.size === 1 ? [...types][0]! : null;
}
