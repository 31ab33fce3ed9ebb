import type {
  JoinDefinition,
  JoinRecordRow,
  ModuleHistoryRecord,
  ModuleInput,
  ModuleRecord,
  ModuleStatusUpdate,
} from './types.js';

/**
 * Persistent registry of logic modules and data-mesh joins. Implemented with Prisma over
 * PostgreSQL or embedded PGlite (`src/registry/prisma-registry.ts`); the runtime, admin API and
 * event consumer depend only on this interface.
 */
export interface ModuleRegistry {
  listModules(): Promise<ModuleRecord[]>;
  getModule(name: string): Promise<ModuleRecord | null>;
  /** Creates a module; throws BifrostError('CONFLICT') when the name exists. */
  createModule(input: ModuleInput): Promise<ModuleRecord>;
  /** Creates or updates by name (used for .meshrc.yml sources, examples and events). */
  upsertModule(
    input: ModuleInput,
    options?: { eventAt?: Date },
  ): Promise<{ module: ModuleRecord; changed: boolean }>;
  /** Updates fields of an existing module; null when not found. */
  updateModule(
    name: string,
    patch: Partial<Omit<ModuleInput, 'name'>>,
  ): Promise<ModuleRecord | null>;
  /** Deletes a module (and its history); false when not found. */
  deleteModule(name: string): Promise<boolean>;
  /** Records the outcome of a discovery: status, error, and the fetched spec (history row on change). */
  setModuleStatus(name: string, update: ModuleStatusUpdate): Promise<ModuleRecord | null>;
  listHistory(name: string): Promise<ModuleHistoryRecord[]>;

  listJoins(): Promise<JoinDefinition[]>;
  getJoin(name: string): Promise<JoinDefinition | null>;
  createJoin(
    input: Omit<JoinDefinition, 'id' | 'createdAt' | 'updatedAt'>,
  ): Promise<JoinDefinition>;
  updateJoin(
    name: string,
    patch: Partial<Omit<JoinDefinition, 'id' | 'name' | 'createdAt' | 'updatedAt'>>,
  ): Promise<JoinDefinition | null>;
  deleteJoin(name: string): Promise<boolean>;

  /** Inserts pairs, ignoring exact duplicates; returns how many were new. */
  addJoinRecords(
    joinId: string,
    organization: string,
    pairs: Array<{ sourceId: string; targetId: string }>,
  ): Promise<number>;
  listJoinRecords(
    joinId: string,
    organization: string,
    filter?: { sourceIds?: string[]; targetIds?: string[]; limit?: number; offset?: number },
  ): Promise<JoinRecordRow[]>;
  /** Deletes exact pairs only; returns how many were deleted. */
  deleteJoinRecords(
    joinId: string,
    organization: string,
    pairs: Array<{ sourceId: string; targetId: string }>,
  ): Promise<number>;

  /** Newest applied `module.removed` event time for `name` (tombstone), null when none. */
  lastRemovalAt?(name: string): Promise<Date | null>;

  /** Cheap connectivity probe (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
