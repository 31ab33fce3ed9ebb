/**
 * Wiring of the data mesh (joins): the schema extender, its admin routes and the REST `?join`
 * hook, as gateway plugins; and the example joins seeded when the bundled examples run.
 */
import type { Config } from './config.js';
import { createJoinExtender } from './composition/join-extender.js';
import type { Logger } from './core/logger.js';
import type { GatewayPlugins } from './gateway.js';
import type { GatewayRuntime } from './runtime/runtime.js';
import { joinAdminRoutes, seedJoins } from './server/join-admin-api.js';
import { createRestJoin } from './server/rest-join.js';

/** The data mesh's plugins (the default of `startGateway`). */
export function dataMeshPlugins(
  config: Pick<Config, 'JOIN_MAX_BATCH' | 'JOIN_CONCURRENCY'> &
    Partial<Pick<Config, 'JOIN_MAX_KEYS'>>,
  logger: Logger,
  onBatch?: (join: string, keys: number, calls: number) => void,
): GatewayPlugins {
  return {
    extender: createJoinExtender({
      maxBatch: config.JOIN_MAX_BATCH,
      concurrency: config.JOIN_CONCURRENCY,
      ...(config.JOIN_MAX_KEYS ? { maxKeys: config.JOIN_MAX_KEYS } : {}),
      logger,
      ...(onBatch ? { onBatch } : {}),
    }),
    adminRoutes: (runtime, registry) => joinAdminRoutes(runtime, registry),
    restJoin: (runtime, _registry, upstream) => createRestJoin(runtime, upstream),
  };
}

/** Creates the example joins that do not exist yet (after the first build, so they can be checked). */
export async function seedExampleJoins(runtime: GatewayRuntime, logger: Logger): Promise<string[]> {
  const { EXAMPLE_JOINS } = await import('../examples/joins.js');
  return seedJoins(runtime, EXAMPLE_JOINS, logger);
}
