/** Declares BiFrost's RabbitMQ topology (idempotent; the gateway on every connection, the CLI before publishing). */
import type { Channel, ConfirmChannel, Options } from 'amqplib';
import type { ModuleEvent } from './module-events.js';
import type { Topology } from './module-events.js';

/**
 * - `bifrost.modules` durable topic exchange; `bifrost.registry` durable queue bound with
 *   `module.#` (unknown `module.*` types reach the consumer and are dead-lettered, not dropped),
 *   its dead-letter exchange set to `bifrost.dlx`.
 * - `bifrost.dlx` durable fanout exchange -> `bifrost.dead-letter` durable queue.
 * - `bifrost.schema` durable fanout exchange (each replica binds its own exclusive queue).
 */
export async function declareTopology(channel: Channel, t: Topology): Promise<void> {
  await channel.assertExchange(t.deadLetterExchange, 'fanout', { durable: true });
  await channel.assertQueue(t.deadLetterQueue, { durable: true });
  await channel.bindQueue(t.deadLetterQueue, t.deadLetterExchange, '');
  await channel.assertExchange(t.modulesExchange, 'topic', { durable: true });
  await channel.assertQueue(t.registryQueue, {
    durable: true,
    deadLetterExchange: t.deadLetterExchange,
  });
  await channel.bindQueue(t.registryQueue, t.modulesExchange, 'module.#');
  await channel.assertExchange(t.schemaExchange, 'fanout', { durable: true });
}

/** Publishes and waits for the broker's confirm (rejects on nack or closed channel). */
export function publishConfirmed(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish,
): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      channel.publish(exchange, routingKey, content, options, (err) =>
        err
          ? reject(
              err instanceof Error ? err : new Error(`broker refused the message: ${String(err)}`),
            )
          : resolve(),
      );
    } catch (err) {
      reject(err);
    }
  });
}

/** Publishes one module event to `bifrost.modules` (persistent, JSON, routing key = type). */
export function publishModuleEventOn(
  channel: ConfirmChannel,
  t: Topology,
  event: ModuleEvent,
  appId?: string,
): Promise<void> {
  return publishConfirmed(
    channel,
    t.modulesExchange,
    event.type,
    Buffer.from(JSON.stringify(event)),
    {
      persistent: true,
      contentType: 'application/json',
      messageId: event.messageId,
      timestamp: Math.floor(Date.parse(event.timestamp) / 1000),
      type: event.type,
      ...(appId ? { appId } : {}),
    },
  );
}
