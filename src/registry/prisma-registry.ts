/**
 * The module registry over Prisma: PostgreSQL (`@prisma/adapter-pg`) or embedded PGlite, same
 * schema, same behaviour (one contract suite runs against both).
 */
import { BifrostError } from '../core/errors.js';
import type { ModuleRegistry } from '../core/module-registry.js';
import type {
  JoinDefinition,
  JoinKind,
  JoinRecordRow,
  ModuleHistoryRecord,
  ModuleInput,
  ModuleOrigin,
  ModuleRecord,
  ModuleStatus,
  ModuleStatusUpdate,
} from '../core/types.js';
import { Prisma } from '../generated/prisma/client.js';
import type {
  Join as JoinRow,
  JoinRecord as JoinRecordDbRow,
  LogicModule as LogicModuleRow,
  PrismaClient,
} from '../generated/prisma/client.js';

type Db = PrismaClient | Prisma.TransactionClient;

export interface PrismaRegistryOptions {
  /** Called by `close()` (e.g. `Database.close`, which also closes PGlite). */
  onClose?: () => Promise<void>;
  /** Longest time `applyEventOnce` keeps its transaction open, default 30 s. */
  eventTransactionTimeoutMs?: number;
}

/** Metadata stored with a consumed message. */
export interface ProcessedEventMeta {
  moduleName: string;
  eventType: string;
  /** The event's own timestamp (removals are kept as tombstones by it). */
  eventAt?: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Rows per statement for bulk join-record writes (PostgreSQL allows 65535 bind values). */
const BATCH = 2000;

export class PrismaRegistry implements ModuleRegistry {
  readonly #prisma: PrismaClient;
  readonly #options: PrismaRegistryOptions;

  constructor(prisma: PrismaClient, options: PrismaRegistryOptions = {}) {
    this.#prisma = prisma;
    this.#options = options;
  }

  /** A registry whose every query runs inside the transaction `tx` (for `applyEventOnce`). */
  static #withDb(registry: PrismaRegistry, tx: Prisma.TransactionClient): PrismaRegistry {
    return new TxRegistry(registry.#prisma, tx, registry.#options);
  }

  /** The client queries go through: the root client, or a transaction's (TxRegistry). */
  protected dbClient(): Db {
    return this.#prisma;
  }

  protected inTransaction(): boolean {
    return false;
  }

  /** Runs `fn` in a transaction, or directly when this registry is already bound to one. */
  async #transaction<T>(fn: (db: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    if (this.inTransaction()) return fn(this.dbClient() as Prisma.TransactionClient);
    return this.#prisma.$transaction(fn);
  }

  // ---------------------------------------------------------------- modules

  async listModules(): Promise<ModuleRecord[]> {
    const rows = await this.dbClient().logicModule.findMany({ orderBy: { name: 'asc' } });
    return rows.map(toModule);
  }

  async getModule(name: string): Promise<ModuleRecord | null> {
    const row = await this.dbClient().logicModule.findUnique({ where: { name } });
    return row ? toModule(row) : null;
  }

  async createModule(input: ModuleInput): Promise<ModuleRecord> {
    return createUnique('module', input.name, async () =>
      toModule(await this.dbClient().logicModule.create({ data: moduleData(input) })),
    );
  }

  async upsertModule(
    input: ModuleInput,
    options: { eventAt?: Date } = {},
  ): Promise<{ module: ModuleRecord; changed: boolean }> {
    const { eventAt } = options;
    const db = this.dbClient();
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await db.logicModule.findUnique({ where: { name: input.name } });
      if (!current) {
        try {
          const created = await db.logicModule.create({
            data: { ...moduleData(input), lastEventAt: eventAt ?? null },
          });
          return { module: toModule(created), changed: true };
        } catch (err) {
          // Lost a race with another writer creating the same name: update it instead.
          if (isUniqueViolation(err) && !this.inTransaction()) continue;
          throw err;
        }
      }
      if (eventAt && current.lastEventAt && current.lastEventAt > eventAt) {
        return { module: toModule(current), changed: false };
      }
      const patch = changedFields(current, moduleData(input));
      const changed = Object.keys(patch).length > 0;
      if (!changed && !eventAt) return { module: toModule(current), changed: false };
      // The event-time condition is checked again by the database, so a newer event written
      // between our read and this update is never overwritten.
      const data = { ...patch, ...(eventAt ? { lastEventAt: eventAt } : {}) };
      const { count } = await db.logicModule.updateMany({
        where: {
          id: current.id,
          ...(eventAt ? { OR: [{ lastEventAt: null }, { lastEventAt: { lte: eventAt } }] } : {}),
        },
        data: changed ? data : { lastEventAt: eventAt! },
      });
      const after = await db.logicModule.findUnique({ where: { id: current.id } });
      if (!after) continue; // deleted meanwhile: create it again
      return { module: toModule(after), changed: changed && count === 1 };
    }
    throw new Error(
      `upsertModule('${input.name}'): the row kept changing under concurrent writers`,
    );
  }

  async updateModule(
    name: string,
    patch: Partial<Omit<ModuleInput, 'name'>>,
  ): Promise<ModuleRecord | null> {
    const data = definedOnly({
      endpoint: patch.endpoint,
      docsPath: patch.docsPath,
      specSource: patch.specSource,
      enabled: patch.enabled,
      origin: patch.origin,
    });
    try {
      return toModule(await this.dbClient().logicModule.update({ where: { name }, data }));
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async deleteModule(name: string): Promise<boolean> {
    const { count } = await this.dbClient().logicModule.deleteMany({ where: { name } });
    return count > 0;
  }

  async setModuleStatus(name: string, update: ModuleStatusUpdate): Promise<ModuleRecord | null> {
    return this.#transaction(async (tx) => {
      // Row lock: two discoveries of the same module must not both record the same change.
      // One read that locks the row and skips the (large) spec document itself.
      const locked = await tx.$queryRaw<
        Array<{ id: string; specHash: string | null; specVersion: string | null; noSpec: boolean }>
      >`
        SELECT id::text AS id, "specHash", "specVersion", (spec IS NULL) AS "noSpec"
        FROM "LogicModule" WHERE name = ${name} FOR UPDATE`;
      const current = locked[0];
      if (!current) return null;

      const data: Prisma.LogicModuleUpdateInput = {
        status: update.status,
        lastError: update.lastError,
      };
      if (update.statusDetail !== undefined) data.statusDetail = toJson(update.statusDetail);
      const spec = update.spec;
      if (spec) {
        const specChanged = spec.hash !== current.specHash || spec.version !== current.specVersion;
        if (specChanged || current.noSpec) {
          // The document goes in as one JSON text parameter: through the client's argument
          // serialization a large spec costs more CPU than the rest of a discovery.
          await tx.$executeRaw`UPDATE "LogicModule" SET spec = ${JSON.stringify(spec.document)}::jsonb WHERE id = ${current.id}::uuid`;
          data.specHash = spec.hash;
          data.specVersion = spec.version;
        }
        if (specChanged) {
          await tx.moduleHistory.create({
            data: {
              moduleId: current.id,
              specHash: spec.hash,
              specVersion: spec.version,
              previousHash: current.specHash,
              previousVersion: current.specVersion,
            },
          });
        }
      }
      if (spec) {
        // The caller holds the document: do not read a large JSON value back from the database.
        const row = await tx.logicModule.update({
          where: { id: current.id },
          data,
          omit: { spec: true },
        });
        return toModule({ ...row, spec: toJson(spec.document) as Prisma.JsonValue });
      }
      return toModule(await tx.logicModule.update({ where: { id: current.id }, data }));
    });
  }

  async listHistory(name: string): Promise<ModuleHistoryRecord[]> {
    const rows = await this.dbClient().moduleHistory.findMany({
      where: { module: { name } },
      orderBy: { seq: 'asc' },
    });
    return rows.map((row) => ({
      id: row.id,
      moduleId: row.moduleId,
      moduleName: name,
      specHash: row.specHash,
      specVersion: row.specVersion,
      previousHash: row.previousHash,
      previousVersion: row.previousVersion,
      createdAt: row.createdAt,
    }));
  }

  // ---------------------------------------------------------------- joins

  async listJoins(): Promise<JoinDefinition[]> {
    const rows = await this.dbClient().join.findMany({ orderBy: { name: 'asc' } });
    return rows.map(toJoin);
  }

  async getJoin(name: string): Promise<JoinDefinition | null> {
    const row = await this.dbClient().join.findUnique({ where: { name } });
    return row ? toJoin(row) : null;
  }

  async createJoin(
    input: Omit<JoinDefinition, 'id' | 'createdAt' | 'updatedAt'>,
  ): Promise<JoinDefinition> {
    return createUnique('join', input.name, async () =>
      toJoin(await this.dbClient().join.create({ data: joinData(input) })),
    );
  }

  async updateJoin(
    name: string,
    patch: Partial<Omit<JoinDefinition, 'id' | 'name' | 'createdAt' | 'updatedAt'>>,
  ): Promise<JoinDefinition | null> {
    try {
      return toJoin(
        await this.dbClient().join.update({ where: { name }, data: definedOnly(joinData(patch)) }),
      );
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async deleteJoin(name: string): Promise<boolean> {
    const { count } = await this.dbClient().join.deleteMany({ where: { name } });
    return count > 0;
  }

  // ---------------------------------------------------------------- join records

  async addJoinRecords(
    joinId: string,
    organization: string,
    pairs: Array<{ sourceId: string; targetId: string }>,
  ): Promise<number> {
    if (pairs.length === 0) return 0;
    if (!UUID.test(joinId)) throw new BifrostError('JOIN_NOT_FOUND', `No join with id '${joinId}'`);
    try {
      return await this.#transaction(async (tx) => {
        let added = 0;
        for (let i = 0; i < pairs.length; i += BATCH) {
          const { count } = await tx.joinRecord.createMany({
            data: pairs.slice(i, i + BATCH).map((p) => ({
              joinId,
              organization,
              sourceId: p.sourceId,
              targetId: p.targetId,
            })),
            skipDuplicates: true,
          });
          added += count;
        }
        return added;
      });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2003') {
        throw new BifrostError('JOIN_NOT_FOUND', `No join with id '${joinId}'`, { cause: err });
      }
      throw err;
    }
  }

  async listJoinRecords(
    joinId: string,
    organization: string,
    filter: { sourceIds?: string[]; targetIds?: string[]; limit?: number; offset?: number } = {},
  ): Promise<JoinRecordRow[]> {
    if (!UUID.test(joinId)) return [];
    const rows = await this.dbClient().joinRecord.findMany({
      where: {
        joinId,
        organization,
        ...(filter.sourceIds ? { sourceId: { in: filter.sourceIds } } : {}),
        ...(filter.targetIds ? { targetId: { in: filter.targetIds } } : {}),
      },
      // Follows the unique index, so pages are stable and cheap.
      orderBy: [{ sourceId: 'asc' }, { targetId: 'asc' }],
      ...(filter.limit !== undefined ? { take: filter.limit } : {}),
      ...(filter.offset !== undefined ? { skip: filter.offset } : {}),
    });
    return rows.map(toJoinRecord);
  }

  async deleteJoinRecords(
    joinId: string,
    organization: string,
    pairs: Array<{ sourceId: string; targetId: string }>,
  ): Promise<number> {
    if (pairs.length === 0 || !UUID.test(joinId)) return 0;
    return this.#transaction(async (tx) => {
      let deleted = 0;
      for (let i = 0; i < pairs.length; i += BATCH) {
        const { count } = await tx.joinRecord.deleteMany({
          where: {
            joinId,
            organization,
            OR: pairs
              .slice(i, i + BATCH)
              .map((p) => ({ sourceId: p.sourceId, targetId: p.targetId })),
          },
        });
        deleted += count;
      }
      return deleted;
    });
  }

  // ---------------------------------------------------------------- events

  /** Whether a message with this id was already applied. */
  async hasProcessedEvent(messageId: string): Promise<boolean> {
    const row = await this.dbClient().processedEvent.findUnique({
      where: { messageId },
      select: { id: true },
    });
    return row !== null;
  }

  /** Records a message as applied; false when it already was. */
  async recordProcessedEvent(messageId: string, meta: ProcessedEventMeta): Promise<boolean> {
    const { count } = await this.dbClient().processedEvent.createMany({
      data: [
        {
          messageId,
          moduleName: meta.moduleName,
          eventType: meta.eventType,
          eventAt: meta.eventAt ?? null,
        },
      ],
      skipDuplicates: true,
    });
    return count === 1;
  }

  /**
   * Applies a message at most once: records `messageId` and runs `fn` in one transaction, so
   * either both happen or neither does (a redelivered message after a crash is applied again;
   * one already applied is skipped). Returns false when the message was already processed.
   *
   * `fn` must do its writes through the registry it receives (bound to the transaction) and
   * keep slow work such as HTTP calls outside: the transaction holds a connection (and, on
   * PGlite, the whole database) until it ends.
   */
  async applyEventOnce(
    messageId: string,
    meta: ProcessedEventMeta,
    fn: (registry: PrismaRegistry) => Promise<void>,
  ): Promise<boolean> {
    const run = async (tx: Prisma.TransactionClient): Promise<boolean> => {
      // Claiming first makes a concurrent consumer of the same message wait on the unique
      // index, then see the claim (or retry it if this transaction rolls back).
      const { count } = await tx.processedEvent.createMany({
        data: [
          {
            messageId,
            moduleName: meta.moduleName,
            eventType: meta.eventType,
            eventAt: meta.eventAt ?? null,
          },
        ],
        skipDuplicates: true,
      });
      if (count === 0) return false;
      await fn(PrismaRegistry.#withDb(this, tx));
      return true;
    };
    if (this.inTransaction()) return run(this.dbClient() as Prisma.TransactionClient);
    return this.#prisma.$transaction(run, {
      timeout: this.#options.eventTransactionTimeoutMs ?? 30_000,
    });
  }

  /**
   * Timestamp of the newest `module.removed` event applied for `name` (a tombstone: an older
   * `module.added` arriving later must not bring the module back). Null when none.
   */
  async lastRemovalAt(name: string): Promise<Date | null> {
    const row = await this.dbClient().processedEvent.findFirst({
      where: { moduleName: name, eventType: 'module.removed', eventAt: { not: null } },
      orderBy: { eventAt: 'desc' },
      select: { eventAt: true },
    });
    return row?.eventAt ?? null;
  }

  // ---------------------------------------------------------------- lifecycle

  async ping(): Promise<boolean> {
    try {
      await this.dbClient().$queryRaw`SELECT 1`;
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.#options.onClose) await this.#options.onClose();
    else await this.#prisma.$disconnect();
  }
}

/** The registry handed to `applyEventOnce` callbacks: every query runs in the transaction. */
class TxRegistry extends PrismaRegistry {
  readonly #tx: Prisma.TransactionClient;

  constructor(prisma: PrismaClient, tx: Prisma.TransactionClient, options: PrismaRegistryOptions) {
    super(prisma, options);
    this.#tx = tx;
  }

  protected override dbClient(): Db {
    return this.#tx;
  }

  protected override inTransaction(): boolean {
    return true;
  }

  override async close(): Promise<void> {
    // The transaction's owner closes the client.
  }
}

// -------------------------------------------------------------------- mapping

function toModule(row: LogicModuleRow): ModuleRecord {
  return {
    id: row.id,
    name: row.name,
    endpoint: row.endpoint,
    docsPath: row.docsPath,
    specSource: row.specSource,
    enabled: row.enabled,
    origin: row.origin as ModuleOrigin,
    spec: row.spec ?? null,
    specHash: row.specHash,
    specVersion: row.specVersion,
    status: row.status as ModuleStatus,
    lastError: row.lastError,
    statusDetail: row.statusDetail ?? null,
    lastEventAt: row.lastEventAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toJoin(row: JoinRow): JoinDefinition {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as JoinKind,
    sourceType: row.sourceType,
    fieldName: row.fieldName,
    sourceKeyFields: row.sourceKeyFields,
    targetOperation: row.targetOperation,
    targetArgument: row.targetArgument,
    batchOperation: row.batchOperation,
    batchArgument: row.batchArgument,
    targetKeyField: row.targetKeyField,
    many: row.many,
    reverseFieldName: row.reverseFieldName,
    reverseOperation: row.reverseOperation,
    reverseArgument: row.reverseArgument,
    description: row.description,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toJoinRecord(row: JoinRecordDbRow): JoinRecordRow {
  return {
    id: row.id,
    joinId: row.joinId,
    sourceId: row.sourceId,
    targetId: row.targetId,
    organization: row.organization,
    createdAt: row.createdAt,
  };
}

/** Columns of a module input; omitted optional fields take the schema defaults on create. */
function moduleData(input: ModuleInput) {
  return definedOnly({
    name: input.name,
    endpoint: input.endpoint,
    docsPath: input.docsPath,
    specSource: input.specSource,
    enabled: input.enabled,
    origin: input.origin,
  }) as {
    name: string;
    endpoint: string;
    docsPath?: string;
    specSource?: string | null;
    enabled?: boolean;
    origin?: string;
  };
}

/** The fields of `next` whose value differs from `current` (fields absent from `next` are kept). */
function changedFields(
  current: LogicModuleRow,
  next: ReturnType<typeof moduleData>,
): Partial<ReturnType<typeof moduleData>> {
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) {
    if (key !== 'name' && current[key as keyof LogicModuleRow] !== value) patch[key] = value;
  }
  return patch;
}

function joinData<T extends Partial<Omit<JoinDefinition, 'id' | 'createdAt' | 'updatedAt'>>>(
  input: T,
) {
  return {
    name: input.name,
    kind: input.kind,
    sourceType: input.sourceType,
    fieldName: input.fieldName,
    sourceKeyFields: input.sourceKeyFields,
    targetOperation: input.targetOperation,
    targetArgument: input.targetArgument,
    batchOperation: input.batchOperation,
    batchArgument: input.batchArgument,
    targetKeyField: input.targetKeyField,
    many: input.many,
    reverseFieldName: input.reverseFieldName,
    reverseOperation: input.reverseOperation,
    reverseArgument: input.reverseArgument,
    description: input.description,
  } as Prisma.JoinCreateInput;
}

function toJson(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  return value === null || value === undefined ? Prisma.DbNull : (value as Prisma.InputJsonValue);
}

function definedOnly<T extends Record<string, unknown>>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

function isNotFound(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025';
}

/** Runs a create; a unique-name violation becomes CONFLICT with a readable message. */
async function createUnique<T>(what: string, name: string, create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new BifrostError('CONFLICT', `A ${what} named '${name}' already exists`, {
        cause: err,
      });
    }
    throw err;
  }
}
