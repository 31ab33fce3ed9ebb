/**
 * The broker as the event layer sees it. Two implementations: RabbitMQ (`amqp-event-bus.ts`) when
 * `AMQP_URL` is set, and an in-process bus (`in-process-event-bus.ts`) otherwise, so a single
 * gateway follows the same path without a broker.
 */
import type { ModuleEvent, SchemaChangedNotice } from './module-events.js';

/** One module-event delivery, as raw bytes (validation is the consumer's job). */
export interface ModuleDelivery {
  content: Buffer;
  routingKey: string;
  redelivered: boolean;
}

/** What the bus does with a delivery once the handler is done. */
export type DeliveryOutcome =
  /** Applied (or already applied): acknowledge. */
  | { action: 'ack' }
  /** Can never be applied: move to the dead-letter queue with the reason, acknowledge. */
  | { action: 'dead-letter'; reason: string }
  /** Could not be applied now (database down): requeue after `delayMs`. */
  | { action: 'retry'; reason: string; delayMs: number };

export interface EventBusHandlers {
  /** Called for one module event at a time per replica; must not throw. */
  onModuleEvent(delivery: ModuleDelivery): Promise<DeliveryOutcome>;
  /** Every replica's notices, including this replica's own (filter by `replicaId`). */
  onSchemaChanged(notice: SchemaChangedNotice): void;
  /** After a reconnection (not the first connection): notices may have been missed. */
  onReconnected?(): void;
}

/**
 * `none` (no bus), `in-process`, `connecting`, `connected`, `disconnected` (reconnecting),
 * `closed`.
 */
/** How this replica settled the module events it received (observability, tests). */
export interface DeliveryCounters {
  acked: number;
  deadLettered: number;
  requeued: number;
}

export type BrokerState = 'in-process' | 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface EventBus {
  readonly kind: 'amqp' | 'in-process';
  /** Declares the topology and starts consuming; resolves after the first connection attempt. */
  start(handlers: EventBusHandlers): Promise<void>;
  /** Publishes a module event (confirmed by the broker); rejects when it could not be. */
  publishModuleEvent(event: ModuleEvent): Promise<void>;
  /** Tells every replica to rebuild; kept and sent on reconnection when the broker is away. */
  publishSchemaChanged(notice: SchemaChangedNotice): Promise<void>;
  state(): BrokerState;
  readonly counters: Readonly<DeliveryCounters>;
  /** Stops consuming, waits for the delivery in progress, closes the connection. */
  close(): Promise<void>;
}
