/**
 * Domain types shared by every layer. No I/O, no Node modules, no framework types.
 */

/**
 * Health of one logic module as last observed by discovery: `ok` (serving), `empty` (spec accepted
 * but nothing callable, e.g. webhooks only), `unreachable` (spec could not be fetched), `invalid`
 * (spec could not be used), `degraded` (new spec held back, previous one served), `pending` (not yet
 * discovered).
 */
export type ModuleStatus = 'ok' | 'empty' | 'unreachable' | 'invalid' | 'degraded' | 'pending';

/** Where a module's registration came from (for operators reading the admin status). */
export type ModuleOrigin = 'admin' | 'meshrc' | 'event' | 'example';

/** A logic module as held by the registry. */
export interface ModuleRecord {
  id: string;
  /** Unique; the module's REST prefix and (normalised) GraphQL namespace. */
  name: string;
  /** Base URL of the module, e.g. `http://documents:8080`. Calls go here, not to the spec's host. */
  endpoint: string;
  /** Path of the spec below `endpoint`, default `/docs`. */
  docsPath: string;
  /**
   * Explicit spec location overriding `endpoint + docsPath` (a URL, or a file path for modules
   * declared in `.meshrc.yml`). Null for modules that serve their spec at `docsPath`.
   */
  specSource: string | null;
  enabled: boolean;
  origin: ModuleOrigin;
  /** The cached spec document (parsed JSON), null until first fetched. */
  spec: unknown | null;
  /** sha256 of the canonical JSON of `spec`. */
  specHash: string | null;
  /** `info.version` of the spec. */
  specVersion: string | null;
  status: ModuleStatus;
  /** Readable reason for a status other than `ok` (or a warning such as "webhooks only"). */
  lastError: string | null;
  /** Extra diagnostic detail (e.g. breaking changes of a degraded module). */
  statusDetail: unknown | null;
  /** Timestamp of the last event applied for this module (ordering of async events). */
  lastEventAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One row of spec history: written whenever a module's spec version or hash changes. */
export interface ModuleHistoryRecord {
  id: string;
  moduleId: string;
  moduleName: string;
  specHash: string;
  specVersion: string | null;
  previousHash: string | null;
  previousVersion: string | null;
  createdAt: Date;
}

export interface ModuleInput {
  name: string;
  endpoint: string;
  docsPath?: string;
  specSource?: string | null;
  enabled?: boolean;
  origin?: ModuleOrigin;
}

export interface ModuleStatusUpdate {
  status: ModuleStatus;
  lastError: string | null;
  statusDetail?: unknown | null;
  /** Present when a spec was fetched; registry writes a history row when hash/version changed. */
  spec?: { document: unknown; hash: string; version: string | null };
}

/** Kind of join definition. */
export type JoinKind = 'field' | 'record';

/** A join definition (data mesh). Type and operation names are those of the unified schema. */
export interface JoinDefinition {
  id: string;
  /** Unique name of the definition; also the default field name. */
  name: string;
  kind: JoinKind;
  /** Type in the unified schema that gets the new field, e.g. `Orders_Order`. */
  sourceType: string;
  /** New field on `sourceType`, e.g. `customer`. */
  fieldName: string;
  /** Field(s) of `sourceType` holding the key (field joins), or the id field (record joins). */
  sourceKeyFields: string[];
  /** Target root query field in the unified schema, e.g. `customers_getCustomer`. */
  targetOperation: string;
  /** Argument of `targetOperation` that receives the key. */
  targetArgument: string;
  /** Optional batch root field taking a list of keys, e.g. `customers_listCustomers`. */
  batchOperation: string | null;
  /** List argument of `batchOperation`. */
  batchArgument: string | null;
  /** Field of the target type that holds its key (to match batch results), default `id`. */
  targetKeyField: string;
  /** Whether the field holds one record or a list. */
  many: boolean;
  /** Optional field added to the target type for the reverse direction. */
  reverseFieldName: string | null;
  /** For reverse field joins: root field listing source records by key, e.g. `orders_listOrders`. */
  reverseOperation: string | null;
  reverseArgument: string | null;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface JoinRecordRow {
  id: string;
  joinId: string;
  sourceId: string;
  targetId: string;
  organization: string;
  createdAt: Date;
}
