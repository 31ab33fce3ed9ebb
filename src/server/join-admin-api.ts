import { z } from 'zod';
import { dataMeshOf } from '../composition/join-extender.js';
import {
  analyzeJoin,
  completeJoin,
  type JoinInput,
  type JoinProblem,
  type JoinSpec,
} from '../composition/join-definition.js';
import { suggestJoins } from '../composition/join-suggestions.js';
import { BifrostError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ModuleRegistry } from '../core/module-registry.js';
import type { JoinDefinition, JoinRecordRow } from '../core/types.js';
import type { GatewayRuntime } from '../runtime/runtime.js';
import { parseWith, type AdminRoute } from './admin-api.js';
import { sendJson } from './http-utils.js';

const gqlName = z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*$/, 'must be a GraphQL name');
const joinName = z
  .string()
  .regex(
    /^[A-Za-z][\w-]{0,63}$/,
    "must start with a letter and hold only letters, digits, '_' and '-' (at most 64)",
  )
  .refine((n) => n !== 'suggestions', "'suggestions' is reserved");

const fields = {
  kind: z.enum(['field', 'record']),
  sourceType: gqlName,
  fieldName: gqlName,
  sourceKeyFields: z.array(gqlName).min(1, 'give the key field'),
  targetOperation: gqlName,
  targetArgument: gqlName,
  batchOperation: gqlName.nullable(),
  batchArgument: gqlName.nullable(),
  targetKeyField: gqlName,
  many: z.boolean(),
  reverseFieldName: gqlName.nullable(),
  reverseOperation: gqlName.nullable(),
  reverseArgument: gqlName.nullable(),
  description: z.string().max(2000).nullable(),
};
const createSchema = z
  .object({
    name: joinName,
    kind: fields.kind.optional(),
    sourceType: fields.sourceType,
    fieldName: fields.fieldName.optional(),
    sourceKeyFields: fields.sourceKeyFields.optional(),
    targetOperation: fields.targetOperation,
    targetArgument: fields.targetArgument.optional(),
    batchOperation: fields.batchOperation.optional(),
    batchArgument: fields.batchArgument.optional(),
    targetKeyField: fields.targetKeyField.optional(),
    many: fields.many.optional(),
    reverseFieldName: fields.reverseFieldName.optional(),
    reverseOperation: fields.reverseOperation.optional(),
    reverseArgument: fields.reverseArgument.optional(),
    description: fields.description.optional(),
  })
  .strict();
const patchSchema = z
  .object(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])))
  .strict();

const idValue = z.union([z.string().min(1).max(256), z.number().finite()]).transform(String);
const pair = z.object({ sourceId: idValue, targetId: idValue }).strict();
const pairsSchema = z.union([
  pair.transform((p) => [p]),
  z.array(pair).min(1, 'give at least one pair').max(10_000),
  z
    .object({ records: z.array(pair).min(1, 'give at least one pair').max(10_000) })
    .strict()
    .transform((b) => b.records),
]);

/** A join as shown by the admin API, with whether it is in the current schema. */
export function joinJson(
  j: JoinDefinition,
  problems?: JoinProblem[] | null,
): Record<string, unknown> {
  const { createdAt, updatedAt, ...rest } = j;
  return {
    ...rest,
    createdAt: createdAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
    ...(problems === undefined
      ? {}
      : { active: problems === null, ...(problems ? { problems } : {}) }),
  };
}

function recordJson(r: JoinRecordRow) {
  return {
    sourceId: r.sourceId,
    targetId: r.targetId,
    organization: r.organization,
    createdAt: r.createdAt.toISOString(),
  };
}

function joinNotFound(name: string): BifrostError {
  return new BifrostError('JOIN_NOT_FOUND', `No join named '${name}'`);
}

/**
 * Checks a complete definition against the live composed schema (without join fields) and the
 * other joins; throws 400 JOIN_INVALID listing every problem.
 */
export function checkJoin(runtime: GatewayRuntime, spec: JoinSpec, others: JoinDefinition[]): void {
  const snapshot = runtime.snapshot();
  if (!snapshot) throw new BifrostError('SCHEMA_NOT_READY');
  const mesh = dataMeshOf(snapshot);
  const schema = mesh?.baseSchema ?? snapshot.schema;
  const accepted = others
    .filter((o) => o.name !== spec.name)
    .flatMap((o) => {
      const plan = mesh?.plans.get(o.name);
      return plan ? [{ def: o, targetType: plan.targetTypeName }] : [];
    });
  const { problems } = analyzeJoin(spec, schema, accepted);
  if (problems.length > 0) {
    throw new BifrostError(
      'JOIN_INVALID',
      `Join '${spec.name}' does not fit the schema: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
      {
        details: problems,
      },
    );
  }
}

function specOf(j: JoinDefinition): JoinSpec {
  const { id: _id, createdAt: _c, updatedAt: _u, ...spec } = j;
  return spec;
}

/** Creates joins that do not exist yet and fit the schema (used to seed the examples); returns the names created. */
export async function seedJoins(
  runtime: GatewayRuntime,
  inputs: JoinInput[],
  logger: Logger,
): Promise<string[]> {
  const created: string[] = [];
  for (const input of inputs) {
    if (await runtime.registry.getJoin(input.name)) continue;
    const spec = completeJoin(
      input,
      dataMeshOf(runtime.snapshot())?.baseSchema ?? runtime.snapshot()?.schema ?? null,
    );
    try {
      checkJoin(runtime, spec, await runtime.registry.listJoins());
      await runtime.registry.createJoin(spec);
      created.push(input.name);
    } catch (err) {
      logger.warn({ join: input.name, err: (err as Error).message }, 'example join not created');
    }
  }
  if (created.length > 0) {
    await runtime.requestRebuild('example joins');
    runtime.notifyChanged('joins seeded');
  }
  return created;
}

/** Admin routes of the data mesh: join definitions, join records and join suggestions. */
export function joinAdminRoutes(runtime: GatewayRuntime, registry: ModuleRegistry): AdminRoute[] {
  const changed = async (reason: string) => {
    await runtime.requestRebuild(reason);
    runtime.notifyChanged(reason);
  };
  const problemsOf = (name: string): JoinProblem[] | null =>
    dataMeshOf(runtime.snapshot())?.inactive.get(name) ?? null;
  const recordJoin = async (name: string) => {
    const join = await registry.getJoin(name);
    if (!join) throw joinNotFound(name);
    if (join.kind !== 'record')
      throw new BifrostError('BAD_REQUEST', `Join '${name}' is a field join: it has no records`);
    return join;
  };
  const organizationOf = (principal: { organization: string | null }) => {
    if (!principal.organization) {
      throw new BifrostError(
        'BAD_REQUEST',
        'Join records belong to an organization, and the token carries none',
      );
    }
    return principal.organization;
  };

  return [
    {
      method: 'GET',
      path: '/joins/suggestions',
      async handler({ res }) {
        const snapshot = runtime.snapshot();
        if (!snapshot) throw new BifrostError('SCHEMA_NOT_READY');
        const schema = dataMeshOf(snapshot)?.baseSchema ?? snapshot.schema;
        sendJson(res, 200, { suggestions: suggestJoins(schema, await registry.listJoins()) });
      },
    },
    {
      method: 'POST',
      path: '/joins',
      async handler({ res, body }) {
        const input = parseWith(createSchema, await body(), 'join definition') as JoinInput;
        if (await registry.getJoin(input.name))
          throw new BifrostError('CONFLICT', `A join named '${input.name}' already exists`);
        const snapshot = runtime.snapshot();
        const spec = completeJoin(
          input,
          dataMeshOf(snapshot)?.baseSchema ?? snapshot?.schema ?? null,
        );
        checkJoin(runtime, spec, await registry.listJoins());
        const join = await registry.createJoin(spec);
        await changed(`join ${join.name} created`);
        sendJson(res, 201, joinJson(join, problemsOf(join.name)), {
          location: `/admin/joins/${join.name}`,
        });
      },
    },
    {
      method: 'GET',
      path: '/joins',
      async handler({ res }) {
        const joins = await registry.listJoins();
        sendJson(res, 200, { joins: joins.map((j) => joinJson(j, problemsOf(j.name))) });
      },
    },
    {
      method: 'GET',
      path: '/joins/:name',
      async handler({ res, params }) {
        const join = await registry.getJoin(params['name']!);
        if (!join) throw joinNotFound(params['name']!);
        sendJson(res, 200, joinJson(join, problemsOf(join.name)));
      },
    },
    {
      method: 'PATCH',
      path: '/joins/:name',
      async handler({ res, params, body }) {
        const patch = parseWith(patchSchema, await body(), 'join patch') as Partial<JoinSpec>;
        const current = await registry.getJoin(params['name']!);
        if (!current) throw joinNotFound(params['name']!);
        const merged: JoinInput = { ...specOf(current), ...patch };
        // A changed operation gets its argument guessed again unless the patch names it.
        if (patch.targetOperation !== undefined && patch.targetArgument === undefined)
          delete merged.targetArgument;
        if (patch.batchOperation !== undefined && patch.batchArgument === undefined)
          delete merged.batchArgument;
        if (patch.reverseOperation !== undefined && patch.reverseArgument === undefined)
          delete merged.reverseArgument;
        const snapshot = runtime.snapshot();
        const spec = completeJoin(
          merged,
          dataMeshOf(snapshot)?.baseSchema ?? snapshot?.schema ?? null,
        );
        checkJoin(runtime, spec, await registry.listJoins());
        const { name: _n, ...update } = spec;
        const join = await registry.updateJoin(current.name, update);
        if (!join) throw joinNotFound(current.name);
        await changed(`join ${join.name} updated`);
        sendJson(res, 200, joinJson(join, problemsOf(join.name)));
      },
    },
    {
      method: 'DELETE',
      path: '/joins/:name',
      async handler({ res, params }) {
        if (!(await registry.deleteJoin(params['name']!))) throw joinNotFound(params['name']!);
        await changed(`join ${params['name']} deleted`);
        res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      path: '/joins/:name/records',
      async handler({ res, params, body, principal }) {
        const join = await recordJoin(params['name']!);
        const organization = organizationOf(principal);
        const pairs = parseWith(pairsSchema, await body(), 'join records');
        const added = await registry.addJoinRecords(join.id, organization, pairs);
        // Records are read at query time: no rebuild needed.
        sendJson(res, 201, { join: join.name, organization, requested: pairs.length, added });
      },
    },
    {
      method: 'GET',
      path: '/joins/:name/records',
      async handler({ res, params, query, principal }) {
        const join = await recordJoin(params['name']!);
        const organization = organizationOf(principal);
        const q = parseWith(
          z.object({
            sourceId: z.string().min(1).optional(),
            targetId: z.string().min(1).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
            offset: z.coerce.number().int().min(0).default(0),
          }),
          Object.fromEntries(query),
          'query string',
        );
        const rows = await registry.listJoinRecords(join.id, organization, {
          ...(q.sourceId ? { sourceIds: q.sourceId.split(',') } : {}),
          ...(q.targetId ? { targetIds: q.targetId.split(',') } : {}),
          limit: q.limit,
          offset: q.offset,
        });
        sendJson(res, 200, {
          join: join.name,
          organization,
          limit: q.limit,
          offset: q.offset,
          records: rows.map(recordJson),
        });
      },
    },
    {
      method: 'DELETE',
      path: '/joins/:name/records',
      async handler({ res, params, body, principal }) {
        const join = await recordJoin(params['name']!);
        const organization = organizationOf(principal);
        const pairs = parseWith(pairsSchema, await body(), 'join records');
        const deleted = await registry.deleteJoinRecords(join.id, organization, pairs);
        sendJson(res, 200, { join: join.name, organization, requested: pairs.length, deleted });
      },
    },
  ];
}
