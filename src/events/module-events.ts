/**
 * The messages BiFrost exchanges over the broker, and the pure validation of what arrives.
 *
 * Module events (`bifrost.modules`, routing key = `type`):
 * `{ type, messageId, timestamp, module: { name, endpoint, docsPath? } }`, JSON, `endpoint`
 * optional for `module.removed`. Schema notices (`bifrost.schema`): `{ type: 'schema.changed',
 * replicaId, reason, module?, timestamp }`.
 */
import { z } from 'zod';
import { docsPathField, httpUrlField, moduleNameField } from '../core/module-fields.js';

export const MODULE_EVENT_TYPES = ['module.added', 'module.updated', 'module.removed'] as const;
export type ModuleEventType = (typeof MODULE_EVENT_TYPES)[number];

const moduleName = moduleNameField;
const endpoint = httpUrlField;
const docsPath = docsPathField;
const common = {
  messageId: z.string().min(1).max(200),
  timestamp: z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
};

export const moduleEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.enum(['module.added', 'module.updated']),
    ...common,
    module: z.object({ name: moduleName, endpoint, docsPath: docsPath.optional() }),
  }),
  z.object({
    type: z.literal('module.removed'),
    ...common,
    module: z.object({
      name: moduleName,
      endpoint: endpoint.optional(),
      docsPath: docsPath.optional(),
    }),
  }),
]);

/** A validated module event. */
export type ModuleEvent = z.infer<typeof moduleEventSchema>;

/** Announces that this replica changed the registry; every other replica rebuilds from the database. */
export interface SchemaChangedNotice {
  type: 'schema.changed';
  replicaId: string;
  reason: string;
  module?: string;
  timestamp: string;
}

const schemaChangedSchema = z.object({
  type: z.literal('schema.changed'),
  replicaId: z.string(),
  reason: z.string(),
  module: z.string().optional(),
  timestamp: z.string(),
});

/**
 * Parses a module event from raw message bytes. `routingKey`, when given, must agree with `type`
 * (a mismatch means a misbehaving publisher: better dead-lettered than guessed).
 */
export function parseModuleEvent(
  content: Buffer | string,
  routingKey?: string,
  now: number = Date.now(),
): { ok: true; event: ModuleEvent } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(typeof content === 'string' ? content : content.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
  const r = moduleEventSchema.safeParse(json);
  if (!r.success) {
    return {
      ok: false,
      reason: `invalid module event: ${r.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ')}`,
    };
  }
  if (routingKey !== undefined && routingKey !== r.data.type) {
    return {
      ok: false,
      reason: `routing key '${routingKey}' does not match type '${r.data.type}'`,
    };
  }
  // Events order by their timestamp: one far in the future would hide every later event for its
  // module until that time, so clocks that disagree by more than the skew allowed are refused.
  if (Date.parse(r.data.timestamp) > now + MAX_CLOCK_SKEW_MS) {
    return {
      ok: false,
      reason: `timestamp ${r.data.timestamp} is more than ${MAX_CLOCK_SKEW_MS / 1000} s in the future`,
    };
  }
  return { ok: true, event: r.data };
}

/** How far in the future an event's timestamp may be (publisher clock ahead of ours). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export function parseSchemaChanged(content: Buffer | string): SchemaChangedNotice | null {
  try {
    const r = schemaChangedSchema.safeParse(
      JSON.parse(typeof content === 'string' ? content : content.toString('utf8')),
    );
    if (!r.success) return null;
    const { module, ...rest } = r.data;
    return module === undefined ? rest : { ...rest, module };
  } catch {
    return null;
  }
}

/** Builds a module event with a fresh id and the current time (CLI, tests). */
export function makeModuleEvent(
  type: ModuleEventType,
  module: { name: string; endpoint?: string; docsPath?: string },
  options: { messageId?: string; timestamp?: Date } = {},
): ModuleEvent {
  return {
    type,
    messageId: options.messageId ?? globalThis.crypto.randomUUID(),
    timestamp: (options.timestamp ?? new Date()).toISOString(),
    module,
  } as ModuleEvent;
}

/** Exchange and queue names, each prefixed with `AMQP_PREFIX` (tests isolate themselves with it). */
export interface Topology {
  /** Durable topic exchange for module events. */
  modulesExchange: string;
  /** Durable queue every replica consumes from (competing consumers). */
  registryQueue: string;
  /** Dead-letter exchange (fanout) and its durable queue. */
  deadLetterExchange: string;
  deadLetterQueue: string;
  /** Fanout exchange for `schema.changed`; each replica binds its own exclusive auto-delete queue. */
  schemaExchange: string;
}

export function topologyNames(prefix = ''): Topology {
  return {
    modulesExchange: `${prefix}bifrost.modules`,
    registryQueue: `${prefix}bifrost.registry`,
    deadLetterExchange: `${prefix}bifrost.dlx`,
    deadLetterQueue: `${prefix}bifrost.dead-letter`,
    schemaExchange: `${prefix}bifrost.schema`,
  };
}

/** Header carrying the reason a message was dead-lettered. */
export const ERROR_HEADER = 'x-bifrost-error';
