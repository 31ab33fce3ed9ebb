import type { GraphQLSchema } from 'graphql';
import type { ModuleRecord } from '../core/types.js';

/** One REST operation of a module, as listed in its spec. */
export interface RestOperation {
  method: string;
  path: string;
  operationId: string | null;
  /** Path to call below the module's endpoint: base path + concrete path. */
  upstreamPath: string;
}

/** What the REST proxy needs to know about one module in a snapshot. */
export interface ModuleView {
  record: ModuleRecord;
  /** Base path of the spec (e.g. `/api`), prepended to pass-through paths. */
  basePath: string;
  /** Matches a method and a path below the module prefix against the spec; null when no spec. */
  match: ((method: string, path: string) => RestOperation | null) | null;
  /** Whether the module's subgraph is part of the schema. */
  inSchema: boolean;
}

/**
 * An immutable view of everything a request needs: schema, module table and version. A rebuild
 * makes a new snapshot and swaps it in with one assignment; a request keeps the one it started with.
 */
export interface Snapshot {
  readonly version: string;
  readonly schema: GraphQLSchema;
  readonly sdl: string;
  readonly modules: ReadonlyMap<string, ModuleView>;
  readonly builtAt: Date;
  readonly buildMs: number;
  /** Extra per-snapshot data owned by the data mesh (join definitions, resolvers). */
  readonly extensions: Readonly<Record<string, unknown>>;
}
