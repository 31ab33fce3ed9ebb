/**
 * The event bus without a broker: replicas in one process (usually one gateway) share an
 * `InProcessBroker`. Same contract as RabbitMQ: a module event goes to one consumer, a schema
 * notice to every replica, unappliable events are kept as dead letters.
 */
import type { Logger } from '../core/logger.js';
import type {
  BrokerState,
  DeliveryCounters,
  DeliveryOutcome,
  EventBus,
  EventBusHandlers,
} from './event-bus.js';
import type { ModuleEvent, SchemaChangedNotice } from './module-events.js';

export interface DeadLetter {
  content: Buffer;
  routingKey: string;
  reason: string;
}

/** The shared "broker": round-robin consumers, fan-out notices, dead letters in memory (bounded). */
export class InProcessBroker {
  readonly #buses: InProcessEventBus[] = [];
  #next = 0;
  /** The last 100 dead-lettered messages, newest last. */
  readonly deadLetters: DeadLetter[] = [];

  attach(bus: InProcessEventBus): void {
    this.#buses.push(bus);
  }

  detach(bus: InProcessEventBus): void {
    const i = this.#buses.indexOf(bus);
    if (i >= 0) this.#buses.splice(i, 1);
  }

  /** Hands a module event to one attached bus; resolves once it was settled. */
  async deliver(content: Buffer, routingKey: string, redelivered = false): Promise<void> {
    const bus = this.#buses[this.#next++ % Math.max(1, this.#buses.length)];
    if (!bus) throw new Error('no gateway is consuming module events');
    const outcome = await bus.consume(content, routingKey, redelivered);
    if (outcome.action === 'dead-letter') {
      this.deadLetters.push({ content, routingKey, reason: outcome.reason });
      if (this.deadLetters.length > 100) this.deadLetters.shift();
    } else if (outcome.action === 'retry') {
      await new Promise((r) => setTimeout(r, outcome.delayMs));
      await this.deliver(content, routingKey, true);
    }
  }

  broadcast(notice: SchemaChangedNotice): void {
    for (const bus of [...this.#buses]) bus.notify(notice);
  }
}

export class InProcessEventBus implements EventBus {
  readonly kind = 'in-process';
  readonly #broker: InProcessBroker;
  readonly #logger: Logger;
  #handlers: EventBusHandlers | null = null;
  #work: Promise<unknown> = Promise.resolve();
  #closed = false;
  readonly counters: DeliveryCounters = { acked: 0, deadLettered: 0, requeued: 0 };

  constructor(broker: InProcessBroker, logger: Logger) {
    this.#broker = broker;
    this.#logger = logger;
  }

  state(): BrokerState {
    return this.#closed ? 'closed' : 'in-process';
  }

  async start(handlers: EventBusHandlers): Promise<void> {
    this.#handlers = handlers;
    this.#broker.attach(this);
  }

  /** Resolves once the event was applied (or dead-lettered) by one replica. */
  async publishModuleEvent(event: ModuleEvent): Promise<void> {
    await this.#broker.deliver(Buffer.from(JSON.stringify(event)), event.type);
  }

  async publishSchemaChanged(notice: SchemaChangedNotice): Promise<void> {
    // Asynchronous like a broker: the publisher is never re-entered.
    setImmediate(() => this.#broker.broadcast(notice));
  }

  /** One delivery at a time per replica, as with a RabbitMQ consumer. */
  consume(content: Buffer, routingKey: string, redelivered: boolean) {
    const handlers = this.#handlers;
    if (!handlers || this.#closed)
      return Promise.resolve({ action: 'retry' as const, reason: 'consumer closed', delayMs: 100 });
    const run = this.#work
      .then(() => handlers.onModuleEvent({ content, routingKey, redelivered }))
      .catch((err): DeliveryOutcome => {
        this.#logger.error({ err: String(err) }, 'in-process module event handler failed');
        return { action: 'retry', reason: String(err), delayMs: 1_000 };
      })
      .then((outcome) => {
        if (outcome.action === 'ack') this.counters.acked++;
        else if (outcome.action === 'dead-letter') this.counters.deadLettered++;
        else this.counters.requeued++;
        return outcome;
      });
    this.#work = run;
    return run;
  }

  notify(notice: SchemaChangedNotice): void {
    if (!this.#closed) this.#handlers?.onSchemaChanged(notice);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#broker.detach(this);
    await this.#work;
  }
}
