/**
 * RabbitMQ event bus (amqplib). One connection per replica, named after the replica
 * (`connection_name` client property) so operators can find it; a confirm channel for
 * publishing, a consumer channel with a prefetch. A dropped connection is re-established with
 * exponential backoff and the topology declared again; meanwhile the gateway keeps serving the
 * schema it has.
 */
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../core/logger.js';
import type {
  BrokerState,
  DeliveryCounters,
  DeliveryOutcome,
  EventBus,
  EventBusHandlers,
} from './event-bus.js';
import { declareTopology, publishConfirmed, publishModuleEventOn } from './amqp-topology.js';
import {
  ERROR_HEADER,
  parseSchemaChanged,
  topologyNames,
  type ModuleEvent,
  type SchemaChangedNotice,
  type Topology,
} from './module-events.js';

export interface AmqpEventBusOptions {
  url: string;
  /** Prefix of every exchange and queue name (default ''). */
  prefix?: string;
  /** This replica's id: connection name and `appId` of what it publishes. */
  replicaId: string;
  logger: Logger;
  /** Unacknowledged module events held by this replica at once, default 10. */
  prefetch?: number;
  /** First reconnection delay (ms), doubled per attempt, default 200. */
  reconnectBaseMs?: number;
  /** Longest reconnection delay (ms), default 30 s. */
  reconnectMaxMs?: number;
}

interface Session {
  connection: ChannelModel;
  publisher: ConfirmChannel;
  consumer: Channel;
}

export class AmqpEventBus implements EventBus {
  readonly kind = 'amqp';
  readonly #opts: AmqpEventBusOptions;
  readonly #topology: Topology;
  readonly #log: Logger;
  #handlers: EventBusHandlers | null = null;
  #session: Session | null = null;
  #state: BrokerState = 'connecting';
  #attempt = 0;
  #everConnected = false;
  #timer: NodeJS.Timeout | null = null;
  #closing = false;
  /** Module deliveries are handled one at a time, in order. */
  #work: Promise<void> = Promise.resolve();
  /** A schema notice that could not be sent while disconnected (sent on reconnection). */
  #pendingNotice: SchemaChangedNotice | null = null;
  readonly counters: DeliveryCounters = { acked: 0, deadLettered: 0, requeued: 0 };

  constructor(options: AmqpEventBusOptions) {
    this.#opts = options;
    this.#topology = topologyNames(options.prefix);
    this.#log = options.logger.child({ component: 'amqp', replica: options.replicaId });
  }

  get topology(): Topology {
    return this.#topology;
  }

  state(): BrokerState {
    return this.#state;
  }

  async start(handlers: EventBusHandlers): Promise<void> {
    this.#handlers = handlers;
    await this.#connect();
  }

  async publishModuleEvent(event: ModuleEvent): Promise<void> {
    const s = this.#session;
    if (!s) throw new Error(`broker ${this.#state}: module event not published`);
    await publishModuleEventOn(s.publisher, this.#topology, event, this.#opts.replicaId);
  }

  async publishSchemaChanged(notice: SchemaChangedNotice): Promise<void> {
    const s = this.#session;
    if (!s) {
      this.#pendingNotice = notice;
      return;
    }
    try {
      await publishConfirmed(
        s.publisher,
        this.#topology.schemaExchange,
        'schema.changed',
        Buffer.from(JSON.stringify(notice)),
        {
          contentType: 'application/json',
          appId: this.#opts.replicaId,
          type: notice.type,
        },
      );
    } catch (err) {
      this.#pendingNotice = notice;
      this.#log.warn(
        { err: String(err) },
        'schema.changed not published: sent again on reconnection',
      );
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#state = 'closed';
    if (this.#timer) clearTimeout(this.#timer);
    const s = this.#session;
    this.#session = null;
    if (s) await s.consumer.close().catch(() => {}); // stop deliveries first
    await this.#work.catch(() => {});
    if (s) await s.connection.close().catch(() => {});
  }

  async #connect(): Promise<void> {
    if (this.#closing) return;
    this.#state = this.#everConnected ? 'disconnected' : 'connecting';
    let connection: ChannelModel | null = null;
    try {
      connection = await amqp.connect(this.#opts.url, {
        clientProperties: { connection_name: `bifrost-${this.#opts.replicaId}` },
      });
      const conn = connection;
      conn.on('error', (err: Error) =>
        this.#log.warn({ err: err.message }, 'broker connection error'),
      );
      conn.on('close', () => this.#lost(conn));
      const publisher = await conn.createConfirmChannel();
      const consumer = await conn.createChannel();
      for (const ch of [publisher, consumer]) {
        ch.on('error', (err: Error) =>
          this.#log.warn({ err: err.message }, 'broker channel error'),
        );
        // A channel closed by the broker (e.g. a deleted queue): start over on a new connection.
        ch.on('close', () => {
          if (this.#session?.connection === conn) void conn.close().catch(() => {});
        });
      }
      await declareTopology(publisher, this.#topology);
      await consumer.prefetch(this.#opts.prefetch ?? 10);
      const session: Session = { connection: conn, publisher, consumer };

      const schemaQueue = await consumer.assertQueue('', {
        exclusive: true,
        autoDelete: true,
        durable: false,
      });
      await consumer.bindQueue(schemaQueue.queue, this.#topology.schemaExchange, '');
      await consumer.consume(
        schemaQueue.queue,
        (msg) => {
          if (!msg) return;
          const notice = parseSchemaChanged(msg.content);
          if (notice) this.#handlers?.onSchemaChanged(notice);
        },
        { noAck: true },
      );
      await consumer.consume(this.#topology.registryQueue, (msg) => this.#deliver(session, msg), {
        noAck: false,
      });

      if (this.#closing) {
        await conn.close().catch(() => {});
        return;
      }
      this.#session = session;
      this.#state = 'connected';
      this.#attempt = 0;
      const reconnected = this.#everConnected;
      this.#everConnected = true;
      this.#log.info({ reconnected }, 'broker connected, topology declared');
      if (reconnected) this.#handlers?.onReconnected?.();
      const pending = this.#pendingNotice;
      this.#pendingNotice = null;
      if (pending) void this.publishSchemaChanged(pending);
    } catch (err) {
      this.#log.warn(
        { err: (err as Error).message, attempt: this.#attempt + 1 },
        'broker connection failed',
      );
      if (connection) await connection.close().catch(() => {});
      this.#schedule();
    }
  }

  #lost(connection: ChannelModel): void {
    if (this.#session?.connection !== connection) return;
    this.#session = null;
    if (this.#closing) return;
    this.#state = 'disconnected';
    this.#log.warn({}, 'broker connection lost: reconnecting, the current schema is still served');
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closing || this.#timer) return;
    const base = this.#opts.reconnectBaseMs ?? 200;
    const max = this.#opts.reconnectMaxMs ?? 30_000;
    const delay = Math.min(base * 2 ** this.#attempt, max) * (0.8 + Math.random() * 0.2);
    this.#attempt++;
    this.#state = this.#everConnected ? 'disconnected' : 'connecting';
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#connect();
    }, delay);
    this.#timer.unref();
  }

  #deliver(session: Session, msg: ConsumeMessage | null): void {
    if (!msg) return; // consumer cancelled by the broker; the channel close handler reconnects
    this.#work = this.#work.then(async () => {
      const handlers = this.#handlers;
      if (!handlers) return;
      let outcome: DeliveryOutcome;
      try {
        outcome = await handlers.onModuleEvent({
          content: msg.content,
          routingKey: msg.fields.routingKey,
          redelivered: msg.fields.redelivered,
        });
      } catch (err) {
        outcome = { action: 'retry', reason: String(err), delayMs: 1_000 };
      }
      await this.#settle(session, msg, outcome);
    });
  }

  /** Acks, dead-letters or requeues; on a closed channel the broker redelivers the message. */
  async #settle(session: Session, msg: ConsumeMessage, outcome: DeliveryOutcome): Promise<void> {
    const { consumer, publisher } = session;
    try {
      if (outcome.action === 'ack') {
        consumer.ack(msg);
        this.counters.acked++;
      } else if (outcome.action === 'dead-letter') {
        try {
          await publishConfirmed(
            publisher,
            this.#topology.deadLetterExchange,
            msg.fields.routingKey,
            msg.content,
            {
              ...msg.properties,
              persistent: true,
              headers: {
                ...(msg.properties.headers ?? {}),
                [ERROR_HEADER]: outcome.reason.slice(0, 4000),
                'x-bifrost-replica': this.#opts.replicaId,
                'x-bifrost-dead-lettered-at': new Date().toISOString(),
              },
            },
          );
          consumer.ack(msg);
        } catch {
          consumer.nack(msg, false, false); // the queue's own dead-letter exchange takes it (without the reason)
        }
        this.counters.deadLettered++;
      } else {
        await new Promise((r) => setTimeout(r, outcome.delayMs));
        consumer.nack(msg, false, true);
        this.counters.requeued++;
      }
    } catch (err) {
      this.#log.warn({ err: String(err) }, 'delivery not settled: the broker will redeliver it');
    }
  }
}
