/**
 * RabbitMQ for integration tests: the broker every test machine runs
 * (`amqp://guest:guest@127.0.0.1:5672`, override with `BIFROST_TEST_AMQP_URL`), with a unique
 * name prefix per test file. An unreachable broker fails the test: it is never skipped.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { declareTopology, publishModuleEventOn } from '../../src/events/amqp-topology.js';
import { topologyNames, type ModuleEvent, type Topology } from '../../src/events/module-events.js';

export const TEST_AMQP_URL =
  process.env.BIFROST_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const exec = promisify(execFile);

export interface TestBroker {
  url: string;
  prefix: string;
  topology: Topology;
  /** Publishes a valid event (confirmed). */
  publish(event: ModuleEvent): Promise<void>;
  /** Publishes raw bytes to the modules exchange (confirmed), e.g. poison messages. */
  publishRaw(content: string, routingKey: string): Promise<void>;
  /** Takes every message currently in the dead-letter queue. */
  drainDeadLetters(): Promise<Array<{ content: string; headers: Record<string, unknown> }>>;
  /** Deletes this prefix's exchanges and queues and closes the connection. */
  close(): Promise<void>;
}

export async function createTestBroker(): Promise<TestBroker> {
  const prefix = `test-${randomBytes(5).toString('hex')}.`;
  const topology = topologyNames(prefix);
  let connection: amqp.ChannelModel;
  try {
    connection = await amqp.connect(TEST_AMQP_URL, {
      timeout: 5_000,
      clientProperties: { connection_name: `test-${prefix}` },
    });
  } catch (err) {
    throw new Error(
      `RabbitMQ is required for integration tests and is unreachable at ${TEST_AMQP_URL}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const channel = await connection.createConfirmChannel();
  await declareTopology(channel, topology);
  return {
    url: TEST_AMQP_URL,
    prefix,
    topology,
    publish: (event) => publishModuleEventOn(channel, topology, event, 'test'),
    publishRaw: (content, routingKey) =>
      new Promise((resolve, reject) =>
        channel.publish(
          topology.modulesExchange,
          routingKey,
          Buffer.from(content),
          { persistent: true },
          (err) => (err ? reject(err) : resolve()),
        ),
      ),
    async drainDeadLetters() {
      const out: Array<{ content: string; headers: Record<string, unknown> }> = [];
      for (;;) {
        const m = await channel.get(topology.deadLetterQueue, { noAck: true });
        if (!m) return out;
        out.push({
          content: m.content.toString('utf8'),
          headers: (m.properties.headers ?? {}) as Record<string, unknown>,
        });
      }
    },
    async close() {
      for (const q of [topology.registryQueue, topology.deadLetterQueue])
        await channel.deleteQueue(q).catch(() => {});
      for (const e of [
        topology.modulesExchange,
        topology.deadLetterExchange,
        topology.schemaExchange,
      ])
        await channel.deleteExchange(e).catch(() => {});
      await connection.close().catch(() => {});
    },
  };
}

/** Closes, from the broker's side, every connection whose `connection_name` is `name`. Returns how many. */
export async function closeConnectionsNamed(name: string): Promise<number> {
  // Tab-separated rows `<pid>\t[{"connection_name","..."},...]` (the JSON formatter prints pids close_connection refuses).
  const { stdout } = await exec('rabbitmqctl', [
    '-q',
    'list_connections',
    'pid',
    'client_properties',
  ]);
  const matching = stdout
    .split('\n')
    .filter((line) => line.includes(`{"connection_name","${name}"}`))
    .map((line) => line.split('\t')[0]!);
  for (const pid of matching)
    await exec('rabbitmqctl', ['-q', 'close_connection', pid, 'closed by the BiFrost test suite']);
  return matching.length;
}
