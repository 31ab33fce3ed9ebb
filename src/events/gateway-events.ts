/**
 * The event layer of one gateway replica: applies module events from the bus to the registry,
 * tells the other replicas when this one changed the registry (`schema.changed`) and rebuilds
 * when another one did. Talks to the runtime only (never to the server).
 */
import type { Logger } from '../core/logger.js';
import { AmqpEventBus } from './amqp-event-bus.js';
import type { BrokerState, EventBus } from './event-bus.js';
import { InProcessBroker, InProcessEventBus } from './in-process-event-bus.js';
import {
  ModuleEventConsumer,
  type EventRegistry,
  type EventRuntime,
} from './module-event-consumer.js';
import type { ModuleEvent } from './module-events.js';

export interface GatewayEventsOptions {
  /** RabbitMQ URL; without it an in-process bus is used. */
  amqpUrl?: string | undefined;
  /** Prefix of every exchange and queue name. */
  prefix: string;
  replicaId: string;
  logger: Logger;
  /** Shared by gateways in one process when there is no broker (tests); default: a private one. */
  inProcessBroker?: InProcessBroker | undefined;
  prefetch?: number;
  reconnectMaxMs?: number;
  /** Delay before redelivering an event that failed transiently (database down). */
  retryDelayMs?: number;
  /** Whether readiness turns false while the broker is away, default false (see `readinessCheck`). */
  requireBrokerForReadiness?: boolean;
  /** Observes each module event: `consumed`, then `applied`, `dead_lettered` or `requeued` (metrics). */
  onEventOutcome?: (outcome: 'consumed' | 'applied' | 'dead_lettered' | 'requeued') => void;
}

export class GatewayEvents {
  readonly bus: EventBus;
  readonly replicaId: string;
  readonly #opts: GatewayEventsOptions;
  readonly #log: Logger;
  #consumer: ModuleEventConsumer | null = null;

  constructor(options: GatewayEventsOptions) {
    this.#opts = options;
    this.replicaId = options.replicaId;
    this.#log = options.logger.child({ component: 'events' });
    this.bus = options.amqpUrl
      ? new AmqpEventBus({
          url: options.amqpUrl,
          prefix: options.prefix,
          replicaId: options.replicaId,
          logger: options.logger,
          ...(options.prefetch !== undefined ? { prefetch: options.prefetch } : {}),
          ...(options.reconnectMaxMs !== undefined
            ? { reconnectMaxMs: options.reconnectMaxMs }
            : {}),
        })
      : new InProcessEventBus(options.inProcessBroker ?? new InProcessBroker(), options.logger);
  }

  /** The runtime's `onRegistryChanged` hook: every other replica rebuilds from the database. */
  readonly registryChanged = (change: { reason: string; module?: string }): void => {
    void this.bus
      .publishSchemaChanged({
        type: 'schema.changed',
        replicaId: this.replicaId,
        reason: change.reason,
        ...(change.module ? { module: change.module } : {}),
        timestamp: new Date().toISOString(),
      })
      .catch((err) => this.#log.warn({ err: String(err) }, 'schema.changed not published'));
  };

  /** Starts consuming; resolves after the first connection attempt (a failed one is retried in the background). */
  async start(runtime: EventRuntime, registry: EventRegistry): Promise<void> {
    const consumer = new ModuleEventConsumer({
      registry,
      runtime,
      logger: this.#log,
      onApplied: this.registryChanged,
      ...(this.#opts.retryDelayMs !== undefined ? { retryDelayMs: this.#opts.retryDelayMs } : {}),
    });
    this.#consumer = consumer;
    await this.bus.start({
      onModuleEvent: async (delivery) => {
        const observe = this.#opts.onEventOutcome;
        observe?.('consumed');
        const outcome = await consumer.handle(delivery);
        observe?.(
          outcome.action === 'ack'
            ? 'applied'
            : outcome.action === 'dead-letter'
              ? 'dead_lettered'
              : 'requeued',
        );
        return outcome;
      },
      onSchemaChanged: (notice) => {
        if (notice.replicaId === this.replicaId) return;
        this.#log.info(
          { from: notice.replicaId, reason: notice.reason, module: notice.module },
          'schema.changed received',
        );
        void runtime.requestRebuild(`schema.changed from ${notice.replicaId}: ${notice.reason}`);
      },
      // Notices sent while this replica was away are lost with its exclusive queue: catch up.
      onReconnected: () => void runtime.requestRebuild('broker reconnected'),
    });
  }

  /** Publishes a module event through this replica's bus (tests, in-process use). */
  publishModuleEvent(event: ModuleEvent): Promise<void> {
    return this.bus.publishModuleEvent(event);
  }

  brokerState(): BrokerState {
    return this.bus.state();
  }

  /**
   * Readiness check `broker`. A replica without its broker still serves the schema it has from the
   * database, so by default the broker's state is reported but does not make the replica unready
   * (taking every replica out of a load balancer during a broker restart would turn a delay in
   * propagating changes into an outage). `requireBrokerForReadiness` changes that.
   */
  readonly readinessCheck = (): { name: string; ok: boolean; detail: string } => {
    const state = this.bus.state();
    const up = state === 'connected' || state === 'in-process';
    return { name: 'broker', ok: up || !this.#opts.requireBrokerForReadiness, detail: state };
  };

  /** Resolves when event-triggered spec fetches and rebuilds have finished. */
  async idle(): Promise<void> {
    await this.#consumer?.idle();
  }

  async close(): Promise<void> {
    await this.bus.close();
    await this.#consumer?.idle();
  }
}
