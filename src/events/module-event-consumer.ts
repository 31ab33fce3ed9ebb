/**
 * Applies module events to the registry: validate, apply once (by messageId, in one transaction
 * with the registry write), ignore events older than the last one applied, then fetch the spec
 * and rebuild outside the transaction. Decides what the bus does with each delivery.
 */
import { isBifrostError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ModuleRegistry } from '../core/module-registry.js';
import type { DeliveryOutcome, ModuleDelivery } from './event-bus.js';
import { parseModuleEvent, type ModuleEvent } from './module-events.js';

/** The registry operations the consumer needs (PrismaRegistry implements them). */
export interface EventRegistry {
  /** Runs `fn` and records `messageId` in one transaction; false when already recorded. */
  applyEventOnce(
    messageId: string,
    meta: { moduleName: string; eventType: string; eventAt?: Date },
    fn: (registry: ModuleRegistry) => Promise<void>,
  ): Promise<boolean>;
  ping(): Promise<boolean>;
}

/** The runtime operations the consumer needs. */
export interface EventRuntime {
  discover(name: string): Promise<unknown>;
  requestRebuild(reason: string): Promise<void>;
}

export interface ModuleEventConsumerOptions {
  registry: EventRegistry;
  runtime: EventRuntime;
  logger: Logger;
  /** Called once the registry change is live on this replica (publishes `schema.changed`). */
  onApplied(change: { reason: string; module: string }): void;
  /** Delay before a message that failed for a transient reason is redelivered, default 2 s. */
  retryDelayMs?: number;
  /**
   * Failures with a reachable database after which a message is dead-lettered, default 5. With
   * the database down, a message is retried without limit (it is not the message's fault).
   */
  maxAttempts?: number;
}

type Applied = 'stale' | 'absent' | 'removed' | 'upserted';

export class ModuleEventConsumer {
  readonly #opts: ModuleEventConsumerOptions;
  readonly #attempts = new Map<string, number>();
  /** Post-commit work per module, chained so discoveries of one module never overlap. */
  readonly #followUps = new Map<string, Promise<void>>();

  constructor(options: ModuleEventConsumerOptions) {
    this.#opts = options;
  }

  /** Handles one delivery; never throws. */
  async handle(delivery: ModuleDelivery): Promise<DeliveryOutcome> {
    const { logger } = this.#opts;
    const parsed = parseModuleEvent(delivery.content, delivery.routingKey);
    if (!parsed.ok) {
      logger.warn(
        { routingKey: delivery.routingKey, err: parsed.reason },
        'module event rejected: dead-lettered',
      );
      return { action: 'dead-letter', reason: parsed.reason };
    }
    const event = parsed.event;
    const log = { messageId: event.messageId, type: event.type, module: event.module.name };
    let applied = 'absent' as Applied;
    let first: boolean;
    try {
      first = await this.#opts.registry.applyEventOnce(
        event.messageId,
        {
          moduleName: event.module.name,
          eventType: event.type,
          eventAt: new Date(event.timestamp),
        },
        async (registry) => {
          applied = await applyToRegistry(registry, event);
        },
      );
    } catch (err) {
      return this.#failed(event, err);
    }
    this.#attempts.delete(event.messageId);
    if (!first) {
      logger.info(log, 'module event already applied: ignored');
      return { action: 'ack' };
    }
    logger.info({ ...log, applied }, 'module event applied');
    if (applied === 'removed' || applied === 'upserted') this.#followUp(event, applied);
    return { action: 'ack' };
  }

  /** Resolves when every spec fetch and rebuild started by an event has finished. */
  async idle(): Promise<void> {
    while (this.#followUps.size > 0) await Promise.allSettled([...this.#followUps.values()]);
  }

  async #failed(event: ModuleEvent, err: unknown): Promise<DeliveryOutcome> {
    const { logger, registry } = this.#opts;
    const message = (err as Error)?.message ?? String(err);
    const delayMs = this.#opts.retryDelayMs ?? 2_000;
    if (isBifrostError(err) && err.status < 500) {
      logger.warn(
        { messageId: event.messageId, err: message },
        'module event cannot be applied: dead-lettered',
      );
      return { action: 'dead-letter', reason: `${err.code}: ${message}` };
    }
    if (!(await registry.ping().catch(() => false))) {
      logger.warn(
        { messageId: event.messageId, err: message },
        'database unreachable: module event requeued',
      );
      return { action: 'retry', reason: `database unreachable: ${message}`, delayMs };
    }
    const attempts = (this.#attempts.get(event.messageId) ?? 0) + 1;
    this.#attempts.set(event.messageId, attempts);
    if (attempts >= (this.#opts.maxAttempts ?? 5)) {
      this.#attempts.delete(event.messageId);
      logger.error(
        { messageId: event.messageId, attempts, err: message },
        'module event keeps failing: dead-lettered',
      );
      return { action: 'dead-letter', reason: `failed ${attempts} times: ${message}` };
    }
    logger.warn(
      { messageId: event.messageId, attempts, err: message },
      'module event failed: requeued',
    );
    return { action: 'retry', reason: message, delayMs };
  }

  /** After the commit: fetch the spec (HTTP) and rebuild, then tell the other replicas. */
  #followUp(event: ModuleEvent, applied: 'removed' | 'upserted'): void {
    const name = event.module.name;
    const { runtime, logger } = this.#opts;
    const previous = this.#followUps.get(name) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        if (applied === 'removed') await runtime.requestRebuild(`event: ${name} removed`);
        else await runtime.discover(name); // unreachable: recorded and retried by the runtime
        this.#opts.onApplied({ reason: event.type, module: name });
      })
      .catch((err) =>
        logger.error({ module: name, err: String(err) }, 'module event follow-up failed'),
      )
      .finally(() => {
        if (this.#followUps.get(name) === next) this.#followUps.delete(name);
      });
    this.#followUps.set(name, next);
  }
}

/** The registry write of one event; runs inside the event's transaction. */
async function applyToRegistry(registry: ModuleRegistry, event: ModuleEvent): Promise<Applied> {
  const eventAt = new Date(event.timestamp);
  const { name, endpoint, docsPath } = event.module;
  if (event.type === 'module.removed') {
    const current = await registry.getModule(name);
    if (!current) return 'absent';
    if (current.lastEventAt && current.lastEventAt > eventAt) return 'stale';
    await registry.deleteModule(name);
    return 'removed';
  }
  // A removal newer than this event is a tombstone: an add or update that arrives late is stale.
  const removedAt = (await registry.lastRemovalAt?.(name)) ?? null;
  if (removedAt && removedAt > eventAt) return 'stale';
  const { module } = await registry.upsertModule(
    { name, endpoint: endpoint!, origin: 'event', ...(docsPath ? { docsPath } : {}) },
    { eventAt },
  );
  // Not changed but current: `module.updated` also means "my spec changed", so discover again.
  return module.lastEventAt && module.lastEventAt > eventAt ? 'stale' : 'upserted';
}
