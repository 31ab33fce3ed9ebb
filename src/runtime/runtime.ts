import { createHash } from 'node:crypto';
import { printSchema, type GraphQLSchema } from 'graphql';
import { BifrostError, isBifrostError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ModuleRegistry } from '../core/module-registry.js';
import type { ModuleInput, ModuleRecord } from '../core/types.js';
import { composeSubgraphs } from '../composition/compose.js';
import { fetchSpec } from '../discovery/spec-fetcher.js';
import { analyzeSpec, basePathOf, createOperationMatcher } from '../discovery/spec-operations.js';
import { buildSubgraph, type Subgraph } from '../mesh/subgraph.js';
import type { UpstreamClient } from '../upstream/upstream-client.js';
import type { ModuleView, Snapshot } from './snapshot.js';
import { describeBreakingChanges, findBreakingChanges } from './spec-compat.js';

/** Hooks the data mesh plugs into every rebuild (join fields, per-snapshot data). */
export interface SchemaExtender {
  /** Adds fields to the composed schema; may read the registry. */
  prepare(registry: ModuleRegistry): Promise<{
    extend: (schema: GraphQLSchema) => GraphQLSchema;
    fingerprint: string;
    extensions: Record<string, unknown>;
  }>;
}

export interface RuntimeOptions {
  registry: ModuleRegistry;
  upstream: UpstreamClient;
  logger: Logger;
  /** Spec fetch timeout (ms). */
  specFetchTimeoutMs: number;
  /** Called after the registry was changed by this replica (admin API, events): used to tell other replicas. */
  onRegistryChanged?: (change: { reason: string; module?: string }) => void;
  extender?: SchemaExtender;
  /** Base delay for retrying unreachable modules (ms), doubled up to 5 min; 0 disables. */
  retryBaseMs?: number;
  /** SSRF guard: throws BifrostError('ENDPOINT_NOT_ALLOWED') for endpoints that must not be called. */
  endpointGuard?: (endpoint: string) => Promise<void>;
  /** Called after every rebuild (metrics). */
  onRebuild?: (report: RebuildReport) => void;
}

/** Context fields the runtime's resolvers read (the server builds the rest). */
export interface UpstreamContext {
  forwardHeaders?: Record<string, string>;
}

export interface RebuildReport {
  at: Date;
  ms: number;
  swapped: boolean;
  error: string | null;
  reason: string;
}

/**
 * Holds the current snapshot and coordinates rebuilds: one in flight at a time, a burst of
 * requests collapses into one follow-up, unchanged versions are not swapped, a failed rebuild keeps
 * the last good snapshot. Subgraphs are cached per module and rebuilt only when that module's spec
 * or endpoint changed.
 */
export class GatewayRuntime {
  private current: Snapshot | null = null;
  private readonly listeners: Array<(s: Snapshot) => void> = [];
  private readonly subgraphs = new Map<string, { key: string; subgraph: Subgraph | Error }>();
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private readonly retryTimers = new Map<string, { timer: NodeJS.Timeout; attempt: number }>();
  private stopped = false;
  lastRebuild: RebuildReport | null = null;
  lastGoodRebuild: RebuildReport | null = null;
  rebuildCount = 0;
  rebuildFailures = 0;
  /** How many times each module's subgraph was built (a change to one module rebuilds only its own). */
  readonly subgraphBuilds = new Map<string, number>();

  constructor(private readonly opts: RuntimeOptions) {}

  get registry(): ModuleRegistry {
    return this.opts.registry;
  }

  /** The snapshot new requests should use; null until the first build. */
  snapshot(): Snapshot | null {
    return this.current;
  }

  onSwap(listener: (s: Snapshot) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** First build from cached specs, then discovery of modules never fetched. */
  async start(): Promise<void> {
    await this.requestRebuild('start-up');
    const modules = await this.opts.registry.listModules();
    const missing = modules.filter((m) => m.enabled && m.spec == null);
    await eachLimit(missing, DISCOVERY_CONCURRENCY, (m) => this.discoverLogged(m.name));
    if (missing.length > 0) await this.requestRebuild('initial discovery');
  }

  /** Re-fetches every enabled module's spec in the background (start-up freshness, periodic refresh). */
  async refreshAll(): Promise<void> {
    const modules = await this.opts.registry.listModules();
    await eachLimit(
      modules.filter((m) => m.enabled),
      DISCOVERY_CONCURRENCY,
      (m) => this.discoverLogged(m.name),
    );
    await this.requestRebuild('refresh all');
  }

  /**
   * Rebuilds the schema. Resolves once a rebuild that started after this call has finished.
   * Never rejects: failures are reported in `lastRebuild`.
   */
  requestRebuild(reason: string): Promise<void> {
    if (!this.running) {
      this.running = this.rebuild(reason).finally(() => {
        this.running = null;
      });
      return this.running;
    }
    if (!this.queued) {
      this.queued = this.running.then(() => {
        this.queued = null;
        return this.requestRebuild(`${reason} (coalesced)`);
      });
    }
    return this.queued;
  }

  /**
   * Fetches a module's spec, checks it builds, records the outcome; rebuilds unless told not to.
   * A new spec that removes or re-types something a stored join uses is held back (module
   * `degraded`, previous spec still served) unless `force` is set.
   */
  async discover(
    name: string,
    options: { rebuild?: boolean; force?: boolean } = {},
  ): Promise<ModuleRecord | null> {
    const { registry, logger } = this.opts;
    const module = await registry.getModule(name);
    if (!module) return null;
    let updated: ModuleRecord | null;
    // Only failures while fetching, checking or building the spec describe the module; a registry
    // failure is the database's and must not mark a good module invalid.
    let phase: 'spec' | 'registry' = 'spec';
    try {
      await this.opts.endpointGuard?.(module.endpoint);
      if (module.specSource && /^https?:/i.test(module.specSource))
        await this.opts.endpointGuard?.(module.specSource);
      const fetched = await fetchSpec({
        endpoint: module.endpoint,
        docsPath: module.docsPath,
        specSource: module.specSource,
        timeoutMs: this.opts.specFetchTimeoutMs,
      });
      const analysis = analyzeSpec(fetched.document);
      // The subgraph served now, when joins might depend on it (built before the new one replaces it in the cache).
      phase = 'registry';
      const joins =
        !options.force && module.spec != null && module.specHash !== fetched.hash
          ? await registry.listJoins()
          : [];
      phase = 'spec';
      const previous =
        joins.length > 0 ? await this.buildModuleSubgraph(module).catch(() => null) : null;
      // Build now so a spec that cannot become a subgraph is reported as invalid at once.
      const subgraph = await this.buildModuleSubgraph({
        ...module,
        spec: fetched.document,
        specHash: fetched.hash,
      });
      const breaking = previous ? findBreakingChanges(previous.schema, subgraph.schema, joins) : [];
      if (previous && breaking.length > 0) {
        // Keep serving the previous spec: the registry keeps it, and so does the subgraph cache.
        this.subgraphs.set(name, {
          key: `${module.specHash}|${module.endpoint}`,
          subgraph: previous,
        });
        const held = describeBreakingChanges(breaking);
        phase = 'registry';
        updated = await registry.setModuleStatus(name, {
          status: 'degraded',
          lastError: `new spec held back, the previous one is still served: ${held}`,
          statusDetail: {
            code: 'SPEC_INCOMPATIBLE',
            breakingChanges: breaking,
            heldBack: { hash: fetched.hash, version: fetched.version },
            force: `POST /admin/modules/${name}/refresh?force=true`,
          },
        });
        this.clearRetry(name);
        logger.warn(
          { module: name, hash: fetched.hash, breaking },
          'module spec change breaks joins: held back',
        );
        if (options.rebuild !== false) await this.requestRebuild(`degraded ${name}`);
        return updated;
      }
      const warnings = [...analysis.warnings, ...subgraph.warnings];
      const empty = subgraph.queryFields.length + subgraph.mutationFields.length === 0;
      phase = 'registry';
      updated = await registry.setModuleStatus(name, {
        status: empty ? 'empty' : 'ok',
        lastError: empty
          ? `no callable operations: ${warnings.join('; ') || 'the document has no paths'}`
          : null,
        statusDetail: warnings.length > 0 ? { warnings } : null,
        spec: { document: fetched.document, hash: fetched.hash, version: fetched.version },
      });
      this.clearRetry(name);
      logger.info(
        { module: name, hash: fetched.hash, version: fetched.version, warnings },
        'module discovered',
      );
    } catch (err) {
      if (phase === 'registry') throw err;
      const e = isBifrostError(err)
        ? err
        : new BifrostError('SPEC_INVALID', String((err as Error)?.message ?? err));
      const status = e.code === 'SPEC_UNREACHABLE' ? 'unreachable' : 'invalid';
      if (e.code === 'ENDPOINT_NOT_ALLOWED') this.subgraphs.delete(name);
      updated = await registry.setModuleStatus(name, {
        status,
        lastError: e.message,
        statusDetail: { code: e.code },
      });
      logger.warn({ module: name, code: e.code, err: e.message }, 'module discovery failed');
      if (status === 'unreachable') this.scheduleRetry(name);
    }
    if (options.rebuild !== false) await this.requestRebuild(`discovered ${name}`);
    return updated;
  }

  /** Discovery without a rebuild, for bulk runs: a registry failure is logged, not thrown. */
  private discoverLogged(name: string): Promise<unknown> {
    return this.discover(name, { rebuild: false }).catch((err) =>
      this.opts.logger.error(
        { module: name, err: String(err) },
        'module discovery could not be recorded',
      ),
    );
  }

  /** Throws BifrostError('ENDPOINT_NOT_ALLOWED') when the SSRF guard refuses `endpoint`. */
  async checkEndpoint(endpoint: string): Promise<void> {
    await this.opts.endpointGuard?.(endpoint);
  }

  async addModule(input: ModuleInput): Promise<ModuleRecord> {
    await this.opts.registry.createModule(input);
    const m = await this.discover(input.name);
    this.opts.onRegistryChanged?.({ reason: 'module added', module: input.name });
    return m!;
  }

  async updateModule(
    name: string,
    patch: Partial<Omit<ModuleInput, 'name'>>,
  ): Promise<ModuleRecord | null> {
    const m = await this.opts.registry.updateModule(name, patch);
    if (!m) return null;
    let updated: ModuleRecord | null = m;
    if (m.enabled) updated = await this.discover(name);
    else await this.requestRebuild(`disabled ${name}`);
    this.opts.onRegistryChanged?.({ reason: 'module updated', module: name });
    return updated;
  }

  async removeModule(name: string): Promise<boolean> {
    const ok = await this.opts.registry.deleteModule(name);
    if (!ok) return false;
    this.clearRetry(name);
    this.subgraphs.delete(name);
    await this.requestRebuild(`removed ${name}`);
    this.opts.onRegistryChanged?.({ reason: 'module removed', module: name });
    return true;
  }

  /** Re-fetches a module's spec; `force` applies it even when it breaks joins. */
  async refreshModule(
    name: string,
    options: { force?: boolean } = {},
  ): Promise<ModuleRecord | null> {
    const m = await this.discover(name, { force: options.force === true });
    if (m) this.opts.onRegistryChanged?.({ reason: 'module refreshed', module: name });
    return m;
  }

  /** Tells other replicas (through the hook) that joins or modules changed; used by the data mesh. */
  notifyChanged(reason: string): void {
    this.opts.onRegistryChanged?.({ reason });
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
  }

  private scheduleRetry(name: string): void {
    const base = this.opts.retryBaseMs ?? 5_000;
    if (base <= 0 || this.stopped) return;
    const prev = this.retryTimers.get(name);
    if (prev) clearTimeout(prev.timer);
    const attempt = (prev?.attempt ?? 0) + 1;
    const delay = Math.min(base * 2 ** (attempt - 1), 300_000);
    const timer = setTimeout(() => {
      void this.discover(name)
        .then((m) => {
          // Other replicas learn about a module that became reachable.
          if (m && m.status !== 'unreachable')
            this.opts.onRegistryChanged?.({ reason: 'module discovered on retry', module: name });
        })
        .catch((err) =>
          this.opts.logger.warn(
            { module: name, err: String(err) },
            'retry of module discovery failed',
          ),
        );
    }, delay);
    timer.unref();
    this.retryTimers.set(name, { timer, attempt });
  }

  private clearRetry(name: string): void {
    const t = this.retryTimers.get(name);
    if (t) clearTimeout(t.timer);
    this.retryTimers.delete(name);
  }

  private async buildModuleSubgraph(module: ModuleRecord): Promise<Subgraph> {
    const key = `${module.specHash}|${module.endpoint}`;
    const cached = this.subgraphs.get(module.name);
    if (cached && cached.key === key) {
      if (cached.subgraph instanceof Error) throw cached.subgraph;
      return cached.subgraph;
    }
    this.subgraphBuilds.set(module.name, (this.subgraphBuilds.get(module.name) ?? 0) + 1);
    try {
      const subgraph = await buildSubgraph({
        moduleName: module.name,
        document: structuredClone(module.spec) as Record<string, unknown>,
        endpoint: module.endpoint,
        timeoutMs: this.opts.upstream.timeoutMs,
        fetch: this.opts.upstream.fetchFor(module.name),
        headers: (context: unknown) =>
          (context as UpstreamContext | undefined)?.forwardHeaders ?? {},
      });
      this.subgraphs.set(module.name, { key, subgraph });
      return subgraph;
    } catch (err) {
      const e = isBifrostError(err)
        ? err
        : new BifrostError('SPEC_INVALID', String((err as Error)?.message ?? err));
      this.subgraphs.set(module.name, { key, subgraph: e });
      throw e;
    }
  }

  private async rebuild(reason: string): Promise<void> {
    const started = performance.now();
    const at = new Date();
    const { registry, logger } = this.opts;
    this.rebuildCount++;
    try {
      const modules = await registry.listModules();
      const views = new Map<string, ModuleView>();
      const subgraphs: Subgraph[] = [];
      for (const m of modules) {
        let match: ModuleView['match'] = null;
        let basePath = '';
        if (m.spec != null) {
          try {
            match = createOperationMatcher(m.spec as Record<string, unknown>);
            basePath = basePathOf(m.spec as Record<string, unknown>);
          } catch {
            match = null;
          }
        }
        const view: ModuleView = { record: m, basePath, match, inSchema: false };
        views.set(m.name, view);
        if (!m.enabled || m.spec == null) continue;
        try {
          await this.opts.endpointGuard?.(m.endpoint);
          const sg = await this.buildModuleSubgraph(m);
          subgraphs.push(sg);
        } catch (err) {
          const message = (err as Error).message;
          logger.warn(
            { module: m.name, err: message },
            'module quarantined: subgraph build failed',
          );
          if (m.status !== 'invalid' || m.lastError !== message) {
            await registry.setModuleStatus(m.name, {
              status: 'invalid',
              lastError: message,
              statusDetail: { code: 'SPEC_INVALID' },
            });
            view.record = { ...m, status: 'invalid', lastError: message };
          }
        }
      }
      for (const name of this.subgraphs.keys()) if (!views.has(name)) this.subgraphs.delete(name);

      const ext = this.opts.extender ? await this.opts.extender.prepare(registry) : null;
      let version = '';
      const composition = composeSubgraphs(
        subgraphs,
        {
          version: () => version,
          modules: () =>
            [...views.values()].map((v) => ({ name: v.record.name, status: v.record.status })),
        },
        ext?.extend,
      );
      for (const r of composition.rejected) {
        logger.warn(
          { module: r.moduleName, err: r.reason },
          'module quarantined: composition failed',
        );
        const v = views.get(r.moduleName);
        if (v) v.record = { ...v.record, status: 'invalid', lastError: r.reason };
        await registry.setModuleStatus(r.moduleName, {
          status: 'invalid',
          lastError: r.reason,
          statusDetail: { code: 'SPEC_INVALID' },
        });
      }
      for (const name of composition.included) views.get(name)!.inSchema = true;
      const sdl = printSchema(composition.schema);
      const fingerprint = [...views.values()]
        .map(
          (v) =>
            `${v.record.name}|${v.record.endpoint}|${v.record.specHash}|${v.record.enabled}|${v.record.status}|${v.inSchema}`,
        )
        .sort()
        .join('\n');
      version = createHash('sha256')
        .update(sdl)
        .update(fingerprint)
        .update(ext?.fingerprint ?? '')
        .digest('hex')
        .slice(0, 16);
      const ms = performance.now() - started;
      const swapped = this.current?.version !== version;
      if (swapped) {
        const snapshot: Snapshot = Object.freeze({
          version,
          schema: composition.schema,
          sdl,
          modules: views,
          builtAt: at,
          buildMs: ms,
          extensions: Object.freeze(ext?.extensions ?? {}),
        });
        this.current = snapshot; // the swap: one assignment
        for (const l of this.listeners) l(snapshot);
      }
      this.lastRebuild = { at, ms, swapped, error: null, reason };
      this.lastGoodRebuild = this.lastRebuild;
      this.opts.onRebuild?.(this.lastRebuild);
      logger.info(
        { reason, ms: Math.round(ms), swapped, version, modules: composition.included },
        'schema rebuilt',
      );
    } catch (err) {
      this.rebuildFailures++;
      const ms = performance.now() - started;
      const message = (err as Error)?.message ?? String(err);
      this.lastRebuild = { at, ms, swapped: false, error: message, reason };
      this.opts.onRebuild?.(this.lastRebuild);
      logger.error({ reason, err: message }, 'schema rebuild failed; serving the last good schema');
    }
  }
}

/** How many modules are discovered at once (spec fetches and builds; each ends in a registry write). */
const DISCOVERY_CONCURRENCY = 8;

/** Runs `fn` over `items` with at most `limit` in flight (`fn` handles its own failures). */
async function eachLimit<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
