/**
 * Prints the SQL that takes the database from the committed migrations (or from nothing) to the
 * current prisma/schema.prisma, using Prisma's schema engine compiled to wasm
 * (`@prisma/schema-engine-wasm`), so it works without the native engine and without internet.
 * Replaying the migrations happens on an in-memory PGlite shadow database.
 *
 *   npm run db:diff                    # SQL for schema changes not yet in prisma/migrations
 *   npm run db:diff -- --from-empty    # the whole schema as SQL
 *   npm run db:diff -- --create add_x  # writes prisma/migrations/<timestamp>_add_x/migration.sql
 *
 * Exit code 0 with no output means the migrations already match the schema.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';
import { PrismaPGlite } from 'pglite-prisma-adapter';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schemaPath = path.join(root, 'prisma', 'schema.prisma');
const migrationsDir = path.join(root, 'prisma', 'migrations');

/** The few WebAssembly APIs used here (the project's `lib` has no DOM types). */
interface WasmApi {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
}
const { WebAssembly: wasmApi } = globalThis as unknown as { WebAssembly: WasmApi };

let wasmReady: Promise<typeof import('@prisma/schema-engine-wasm')> | undefined;

/**
 * Instantiates the schema engine wasm module (once per process). The package's main entry
 * imports a `.wasm` file directly (bundler style), which Node cannot load, so the module is
 * instantiated by hand around its generated JS bindings.
 */
export function loadSchemaEngineWasm(): Promise<typeof import('@prisma/schema-engine-wasm')> {
  wasmReady ??= (async () => {
    const require = createRequire(import.meta.url);
    const bindingsPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bindings = (await import('@prisma/schema-engine-wasm/schema_engine_bg')) as Record<
      string,
      unknown
    > & {
      __wbg_set_wasm(exports: Record<string, unknown>): void;
    };
    const bytes = await readFile(path.join(path.dirname(bindingsPath), 'schema_engine_bg.wasm'));
    const { instance } = await wasmApi.instantiate(bytes, { './schema_engine_bg.js': bindings });
    bindings.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return bindings as unknown as typeof import('@prisma/schema-engine-wasm');
  })();
  return wasmReady;
}

/** Reads prisma/migrations the way Prisma's CLI hands it to the engine. */
export async function readMigrationList(dir = migrationsDir): Promise<MigrationList> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const lock = await readFile(path.join(dir, 'migration_lock.toml'), 'utf8').catch(() => null);
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: lock },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      names.map(async (name) => ({
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: await readFile(path.join(dir, name, 'migration.sql'), 'utf8').then(
            (value) => ({ tag: 'ok' as const, value }),
            (err: Error) => ({ tag: 'error' as const, value: err.message }),
          ),
        },
      })),
    ),
  };
}

/**
 * Runs `fn` with a schema engine bound to a driver adapter (an in-memory PGlite unless one is
 * given); the engine uses the adapter's shadow database to replay migrations.
 */
export async function withSchemaEngine<T>(
  fn: (engine: SchemaEngine) => Promise<T>,
  adapterFactory?: SqlMigrationAwareDriverAdapterFactory,
): Promise<T> {
  const wasm = await loadSchemaEngineWasm();
  const schema = await readFile(schemaPath, 'utf8');
  const pglite = adapterFactory ? undefined : new PGlite();
  const factory = bindMigrationAwareSqlAdapterFactory(adapterFactory ?? new PrismaPGlite(pglite!));
  const engine = await wasm.SchemaEngine.new(
    { datamodels: [[schemaPath, schema]] },
    (log: string) => {
      if (process.env.DEBUG_SCHEMA_ENGINE) process.stderr.write(`${log}\n`);
    },
    factory,
  );
  try {
    return await fn(engine);
  } finally {
    engine.free();
    await pglite?.close();
  }
}

/** SQL from the committed migrations (or from nothing) to the current schema. */
export async function diffSql(options: { fromEmpty?: boolean } = {}): Promise<string> {
  const schema = await readFile(schemaPath, 'utf8');
  const migrations = await readMigrationList();
  const from =
    options.fromEmpty || migrations.migrationDirectories.length === 0
      ? ({ tag: 'empty' } as const)
      : ({ tag: 'migrations', ...migrations } as const);
  const result = await withSchemaEngine((engine) =>
    engine.diff({
      from,
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    }),
  );
  return result.stdout ?? '';
}

function isEmptyScript(sql: string): boolean {
  return sql.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('--'));
}

async function main(argv: string[]): Promise<void> {
  const createIndex = argv.indexOf('--create');
  const sql = await diffSql({ fromEmpty: argv.includes('--from-empty') });
  if (createIndex === -1) {
    process.stdout.write(isEmptyScript(sql) ? '' : sql);
    return;
  }
  const name = argv[createIndex + 1];
  if (!name || !/^[a-z0-9_]+$/.test(name))
    throw new Error('--create needs a name matching [a-z0-9_]+');
  if (isEmptyScript(sql)) {
    process.stderr.write('No schema changes: no migration written.\n');
    return;
  }
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const dir = path.join(migrationsDir, `${stamp}_${name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'migration.sql'), sql);
  await writeFile(
    path.join(migrationsDir, 'migration_lock.toml'),
    '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
  );
  process.stderr.write(`Wrote ${path.relative(root, dir)}/migration.sql\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
