/**
 * One contract suite for the module registry, run against both of its backends: embedded
 * PGlite in a temporary folder and a real PostgreSQL database created for this run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isBifrostError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import type { JoinDefinition } from '../../src/core/types.js';
import { openDatabase, type Database } from '../../src/registry/database.js';
import { migratePostgres, readMigrations } from '../../src/registry/migrate.js';
import { PrismaRegistry } from '../../src/registry/prisma-registry.js';
import { readMigrationList, withSchemaEngine } from '../../scripts/prisma-diff.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

interface Backend {
  name: 'pglite' | 'postgres';
  open(): Promise<{ database: Database; reopen(): Promise<Database>; cleanup(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'pglite',
    async open() {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'bifrost-registry-'));
      const open = () => openDatabase({ dataDir: path.join(dataDir, 'db'), logger: silentLogger });
      return {
        database: await open(),
        reopen: open,
        cleanup: () => rm(dataDir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres',
    async open() {
      const testDb = await createTestDatabase();
      const open = () =>
        openDatabase({ databaseUrl: testDb.url, dataDir: '/nonexistent', logger: silentLogger });
      return { database: await open(), reopen: open, cleanup: () => testDb.drop() };
    },
  },
];

const joinInput = (name: string): Omit<JoinDefinition, 'id' | 'createdAt' | 'updatedAt'> => ({
  name,
  kind: 'field',
  sourceType: 'Orders_Order',
  fieldName: 'customer',
  sourceKeyFields: ['customerId'],
  targetOperation: 'customers_getCustomer',
  targetArgument: 'id',
  batchOperation: 'customers_listCustomers',
  batchArgument: 'ids',
  targetKeyField: 'id',
  many: false,
  reverseFieldName: null,
  reverseOperation: null,
  reverseArgument: null,
  description: 'the customer of an order',
});

const pairs = (...list: Array<[string, string]>) =>
  list.map(([sourceId, targetId]) => ({ sourceId, targetId }));

describe.each(backends)('ModuleRegistry contract on $name', (backend) => {
  let opened: Awaited<ReturnType<Backend['open']>>;
  let database: Database;
  let registry: PrismaRegistry;

  beforeAll(async () => {
    const started = Date.now();
    opened = await backend.open();
    database = opened.database;
    registry = new PrismaRegistry(database.prisma, { onClose: () => database.close() });
    console.log(`[${backend.name}] opened and migrated in ${Date.now() - started} ms`);
  });

  afterAll(async () => {
    await registry?.close();
    await opened?.cleanup();
  });

  beforeEach(async () => {
    await database.prisma.$executeRawUnsafe(
      'TRUNCATE "LogicModule", "ModuleHistory", "Join", "JoinRecord", "ProcessedEvent" CASCADE',
    );
  });

  it('reports its kind and answers ping', async () => {
    expect(database.kind).toBe(backend.name);
    expect(await registry.ping()).toBe(true);
  });

  it('creates, reads, lists, updates and deletes modules', async () => {
    const created = await registry.createModule({ name: 'orders', endpoint: 'http://orders:8080' });
    expect(created).toMatchObject({
      name: 'orders',
      endpoint: 'http://orders:8080',
      docsPath: '/docs',
      specSource: null,
      enabled: true,
      origin: 'admin',
      spec: null,
      specHash: null,
      specVersion: null,
      status: 'pending',
      lastError: null,
      statusDetail: null,
      lastEventAt: null,
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.createdAt).toBeInstanceOf(Date);
    await registry.createModule({
      name: 'customers',
      endpoint: 'http://customers:8080',
      docsPath: '/swagger.json',
      specSource: './specs/customers.json',
      enabled: false,
      origin: 'meshrc',
    });

    expect((await registry.listModules()).map((m) => m.name)).toEqual(['customers', 'orders']);
    expect(await registry.getModule('customers')).toMatchObject({
      docsPath: '/swagger.json',
      specSource: './specs/customers.json',
      enabled: false,
      origin: 'meshrc',
    });
    expect(await registry.getModule('nope')).toBeNull();

    const updated = await registry.updateModule('orders', {
      endpoint: 'http://orders:9090',
      enabled: false,
    });
    expect(updated).toMatchObject({
      endpoint: 'http://orders:9090',
      enabled: false,
      docsPath: '/docs',
    });
    expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
    expect(await registry.updateModule('nope', { enabled: true })).toBeNull();

    expect(await registry.deleteModule('orders')).toBe(true);
    expect(await registry.deleteModule('orders')).toBe(false);
    expect(await registry.getModule('orders')).toBeNull();
  });

  it('rejects a duplicate module name with CONFLICT', async () => {
    await registry.createModule({ name: 'orders', endpoint: 'http://a' });
    const err = await registry
      .createModule({ name: 'orders', endpoint: 'http://b' })
      .catch((e: unknown) => e);
    expect(isBifrostError(err) && err.code).toBe('CONFLICT');
    expect((await registry.getModule('orders'))!.endpoint).toBe('http://a');
  });

  it('stores specs and writes a history row only when hash or version changes', async () => {
    await registry.createModule({ name: 'orders', endpoint: 'http://orders' });
    const v1 = {
      document: { openapi: '3.0.0', info: { version: '1.0.0' }, paths: {} },
      hash: 'h1',
      version: '1.0.0',
    };

    const first = await registry.setModuleStatus('orders', {
      status: 'ok',
      lastError: null,
      spec: v1,
    });
    expect(first).toMatchObject({
      status: 'ok',
      spec: v1.document,
      specHash: 'h1',
      specVersion: '1.0.0',
    });

    // Same spec again, other status: no history row.
    await registry.setModuleStatus('orders', {
      status: 'degraded',
      lastError: 'webhooks only',
      statusDetail: { breaking: ['GET /x removed'] },
      spec: v1,
    });
    expect(await registry.listHistory('orders')).toHaveLength(1);
    expect(await registry.getModule('orders')).toMatchObject({
      status: 'degraded',
      lastError: 'webhooks only',
      statusDetail: { breaking: ['GET /x removed'] },
    });

    // Status only (module unreachable): spec kept, no history row.
    await registry.setModuleStatus('orders', {
      status: 'unreachable',
      lastError: 'ECONNREFUSED',
      statusDetail: null,
    });
    expect(await registry.getModule('orders')).toMatchObject({
      specHash: 'h1',
      statusDetail: null,
    });

    await registry.setModuleStatus('orders', {
      status: 'ok',
      lastError: null,
      spec: {
        document: { info: { version: '1.0.0' }, changed: true },
        hash: 'h2',
        version: '1.0.0',
      },
    });
    await registry.setModuleStatus('orders', {
      status: 'ok',
      lastError: null,
      spec: { document: { info: { version: '2.0.0' } }, hash: 'h2', version: '2.0.0' },
    });

    const history = await registry.listHistory('orders');
    expect(
      history.map((h) => [
        h.specHash,
        h.specVersion,
        h.previousHash,
        h.previousVersion,
        h.moduleName,
      ]),
    ).toEqual([
      ['h1', '1.0.0', null, null, 'orders'],
      ['h2', '1.0.0', 'h1', '1.0.0', 'orders'],
      ['h2', '2.0.0', 'h2', '1.0.0', 'orders'],
    ]);
    expect(await registry.getModule('orders')).toMatchObject({
      spec: { info: { version: '2.0.0' } },
      specVersion: '2.0.0',
    });
    expect(await registry.setModuleStatus('nope', { status: 'ok', lastError: null })).toBeNull();

    // History goes with its module.
    await registry.deleteModule('orders');
    await registry.createModule({ name: 'orders', endpoint: 'http://orders' });
    expect(await registry.listHistory('orders')).toEqual([]);
  });

  it('upserts by name, reports changes, and never lets an older event overwrite a newer one', async () => {
    const t1 = new Date('2026-01-01T00:00:01Z');
    const t2 = new Date('2026-01-01T00:00:02Z');
    const t3 = new Date('2026-01-01T00:00:03Z');

    const created = await registry.upsertModule(
      { name: 'orders', endpoint: 'http://new', origin: 'event' },
      { eventAt: t2 },
    );
    expect(created.changed).toBe(true);
    expect(created.module).toMatchObject({
      endpoint: 'http://new',
      origin: 'event',
      lastEventAt: t2,
    });

    const older = await registry.upsertModule(
      { name: 'orders', endpoint: 'http://old', origin: 'event' },
      { eventAt: t1 },
    );
    expect(older.changed).toBe(false);
    expect(older.module.endpoint).toBe('http://new');
    expect((await registry.getModule('orders'))!).toMatchObject({
      endpoint: 'http://new',
      lastEventAt: t2,
    });

    const same = await registry.upsertModule(
      { name: 'orders', endpoint: 'http://new', origin: 'event' },
      { eventAt: t3 },
    );
    expect(same.changed).toBe(false);
    expect(same.module.lastEventAt).toEqual(t3);

    const newer = await registry.upsertModule(
      { name: 'orders', endpoint: 'http://newer', docsPath: '/openapi.json' },
      { eventAt: t3 },
    );
    expect(newer.changed).toBe(true);
    expect(newer.module).toMatchObject({
      endpoint: 'http://newer',
      docsPath: '/openapi.json',
      origin: 'event',
    });

    // Without an event time (meshrc, examples): plain create-or-update.
    expect(
      (await registry.upsertModule({ name: 'orders', endpoint: 'http://newer' })).changed,
    ).toBe(false);
    expect(
      (await registry.upsertModule({ name: 'orders', endpoint: 'http://meshrc' })).changed,
    ).toBe(true);
    expect((await registry.getModule('orders'))!.lastEventAt).toEqual(t3);
  });

  it('creates, reads, updates and deletes joins', async () => {
    const join = await registry.createJoin(joinInput('orderCustomer'));
    expect(join).toMatchObject({ ...joinInput('orderCustomer') });
    expect(join.id).toMatch(/^[0-9a-f-]{36}$/);
    await registry.createJoin({
      ...joinInput('customerOrders'),
      sourceKeyFields: ['a', 'b'],
      many: true,
    });

    expect((await registry.listJoins()).map((j) => j.name)).toEqual([
      'customerOrders',
      'orderCustomer',
    ]);
    expect((await registry.getJoin('customerOrders'))!.sourceKeyFields).toEqual(['a', 'b']);
    expect(await registry.getJoin('nope')).toBeNull();

    const err = await registry.createJoin(joinInput('orderCustomer')).catch((e: unknown) => e);
    expect(isBifrostError(err) && err.code).toBe('CONFLICT');

    const updated = await registry.updateJoin('orderCustomer', {
      description: null,
      many: true,
      batchOperation: null,
    });
    expect(updated).toMatchObject({
      description: null,
      many: true,
      batchOperation: null,
      fieldName: 'customer',
    });
    expect(await registry.updateJoin('nope', { many: true })).toBeNull();

    expect(await registry.deleteJoin('orderCustomer')).toBe(true);
    expect(await registry.deleteJoin('orderCustomer')).toBe(false);
    expect((await registry.listJoins()).map((j) => j.name)).toEqual(['customerOrders']);
  });

  it('keeps join records per organization, ignores duplicates and deletes exact pairs only', async () => {
    const join = await registry.createJoin({
      ...joinInput('docsOfCase'),
      kind: 'record',
      many: true,
    });

    expect(
      await registry.addJoinRecords(
        join.id,
        'org-a',
        pairs(['c1', 'd1'], ['c1', 'd2'], ['c2', 'd1']),
      ),
    ).toBe(3);
    expect(await registry.addJoinRecords(join.id, 'org-b', pairs(['c1', 'd1'], ['c9', 'd9']))).toBe(
      2,
    );
    // Duplicates, in the store and inside the batch, are ignored.
    expect(
      await registry.addJoinRecords(
        join.id,
        'org-a',
        pairs(['c1', 'd1'], ['c3', 'd3'], ['c3', 'd3']),
      ),
    ).toBe(1);
    expect(await registry.addJoinRecords(join.id, 'org-a', [])).toBe(0);

    const listA = await registry.listJoinRecords(join.id, 'org-a');
    expect(listA.map((r) => `${r.sourceId}->${r.targetId}`)).toEqual([
      'c1->d1',
      'c1->d2',
      'c2->d1',
      'c3->d3',
    ]);
    expect(
      listA.every(
        (r) => r.organization === 'org-a' && r.joinId === join.id && r.createdAt instanceof Date,
      ),
    ).toBe(true);
    expect((await registry.listJoinRecords(join.id, 'org-b')).map((r) => r.sourceId)).toEqual([
      'c1',
      'c9',
    ]);
    expect(await registry.listJoinRecords(join.id, 'org-c')).toEqual([]);

    expect(
      (await registry.listJoinRecords(join.id, 'org-a', { sourceIds: ['c1'] })).map(
        (r) => r.targetId,
      ),
    ).toEqual(['d1', 'd2']);
    expect(
      (await registry.listJoinRecords(join.id, 'org-a', { targetIds: ['d1'] })).map(
        (r) => r.sourceId,
      ),
    ).toEqual(['c1', 'c2']);
    expect(
      (await registry.listJoinRecords(join.id, 'org-a', { limit: 2, offset: 1 })).map(
        (r) => `${r.sourceId}->${r.targetId}`,
      ),
    ).toEqual(['c1->d2', 'c2->d1']);

    // Another organization cannot delete org-a's pairs; a near-miss pair deletes nothing.
    expect(await registry.deleteJoinRecords(join.id, 'org-b', pairs(['c1', 'd2']))).toBe(0);
    expect(
      await registry.deleteJoinRecords(join.id, 'org-a', pairs(['c1', 'd3'], ['c2', 'd2'])),
    ).toBe(0);
    expect(
      await registry.deleteJoinRecords(join.id, 'org-a', pairs(['c1', 'd1'], ['c2', 'd1'])),
    ).toBe(2);
    expect(
      (await registry.listJoinRecords(join.id, 'org-a')).map((r) => `${r.sourceId}->${r.targetId}`),
    ).toEqual(['c1->d2', 'c3->d3']);
    expect(
      (await registry.listJoinRecords(join.id, 'org-b')).map((r) => `${r.sourceId}->${r.targetId}`),
    ).toEqual(['c1->d1', 'c9->d9']);

    const missing = await registry
      .addJoinRecords('00000000-0000-4000-8000-000000000000', 'org-a', pairs(['x', 'y']))
      .catch((e: unknown) => e);
    expect(isBifrostError(missing) && missing.code).toBe('JOIN_NOT_FOUND');

    // Records go with their join.
    await registry.deleteJoin('docsOfCase');
    const again = await registry.createJoin({ ...joinInput('docsOfCase'), kind: 'record' });
    expect(await registry.listJoinRecords(again.id, 'org-a')).toEqual([]);
    expect(await registry.listJoinRecords(join.id, 'org-a')).toEqual([]);
  });

  it('applies an event once, atomically with its writes', async () => {
    const meta = { moduleName: 'orders', eventType: 'module.registered' };
    expect(await registry.hasProcessedEvent('m1')).toBe(false);

    const applied = await registry.applyEventOnce('m1', meta, async (tx) => {
      await tx.upsertModule({ name: 'orders', endpoint: 'http://orders' }, { eventAt: new Date() });
    });
    expect(applied).toBe(true);
    expect(await registry.hasProcessedEvent('m1')).toBe(true);

    let calls = 0;
    expect(await registry.applyEventOnce('m1', meta, async () => void calls++)).toBe(false);
    expect(calls).toBe(0);

    // A failing handler leaves neither its writes nor the event behind, so a redelivery retries.
    const failure = await registry
      .applyEventOnce('m2', meta, async (tx) => {
        await tx.createModule({ name: 'customers', endpoint: 'http://customers' });
        throw new Error('boom');
      })
      .catch((e: unknown) => e);
    expect((failure as Error).message).toBe('boom');
    expect(await registry.getModule('customers')).toBeNull();
    expect(await registry.hasProcessedEvent('m2')).toBe(false);

    expect(await registry.recordProcessedEvent('m3', meta)).toBe(true);
    expect(await registry.recordProcessedEvent('m3', meta)).toBe(false);
  });

  it('reopens with its data and applies no migration twice', async () => {
    await registry.createModule({ name: 'orders', endpoint: 'http://orders' });
    const migrations = await readMigrations();
    if (backend.name === 'pglite') {
      // One PGlite folder has one owner: close, then reopen the same folder.
      await database.close();
      database = await opened.reopen();
      registry = new PrismaRegistry(database.prisma, { onClose: () => database.close() });
    } else {
      const second = await opened.reopen();
      await second.close();
    }
    expect((await registry.getModule('orders'))?.endpoint).toBe('http://orders');
    const rows = await database.prisma.$queryRawUnsafe<Array<{ migration_name: string }>>(
      'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL ORDER BY migration_name',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(migrations.map((m) => m.name));
  });
});

describe('migrations on PostgreSQL', () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    await Promise.all(databases.map((db) => db.drop()));
  });

  it('two replicas migrating the same fresh database at once both succeed', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const migrations = await readMigrations();

    const started = Date.now();
    const settled = await Promise.allSettled([1, 2, 3].map(() => migratePostgres(db.url)));
    const failures = settled.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failures).toEqual([]);
    const results = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    console.log(`[postgres] three concurrent migrate runs took ${Date.now() - started} ms`);

    expect(results.flatMap((r) => r.applied).sort()).toEqual(migrations.map((m) => m.name));
    expect((await migratePostgres(db.url)).applied).toEqual([]);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{
        migration_name: string;
        checksum: string;
        applied_steps_count: number;
      }>(
        'SELECT migration_name, checksum, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
      );
      expect(rows).toEqual(
        migrations.map((m) => ({
          migration_name: m.name,
          checksum: m.checksum,
          applied_steps_count: 1,
        })),
      );
    } finally {
      await client.end();
    }
  });

  it("leaves a database that Prisma's own migration engine sees as fully migrated", async () => {
    const db = await createTestDatabase();
    databases.push(db);
    await migratePostgres(db.url);

    const migrationsList = await readMigrationList();
    const filters = { externalTables: [], externalEnums: [] };
    const { diagnosis, deploy } = await withSchemaEngine(
      async (engine) => ({
        diagnosis: await engine.diagnoseMigrationHistory({
          migrationsList,
          optInToShadowDatabase: false,
          filters,
        }),
        // What `prisma migrate deploy` would do now: nothing.
        deploy: await engine.applyMigrations({ migrationsList, filters }),
      }),
      new PrismaPg({ connectionString: db.url }),
    );
    expect(diagnosis).toEqual({
      editedMigrationNames: [],
      failedMigrationNames: [],
      hasMigrationsTable: true,
      history: null,
    });
    expect(deploy.appliedMigrationNames).toEqual([]);
  });
});
