/**
 * `bifrost`: operator CLI. Publishes module events to RabbitMQ (with publisher confirms), where
 * every gateway replica picks them up. Run `bifrost --help`.
 */
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { declareTopology, publishModuleEventOn } from '../src/events/amqp-topology.js';
import {
  makeModuleEvent,
  moduleEventSchema,
  topologyNames,
  type ModuleEventType,
} from '../src/events/module-events.js';

export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

export const USAGE = `Usage: bifrost modules <command> [arguments] [options]

Publishes a module event to RabbitMQ; every BiFrost replica applies it to the registry and
rebuilds its schema.

Commands:
  modules add <name> <endpoint> [--docs-path <path>]      module.added   (register a module)
  modules update <name> <endpoint> [--docs-path <path>]   module.updated (new endpoint or spec)
  modules remove <name>                                   module.removed

Options:
  --amqp-url <url>     broker URL (default: $AMQP_URL, else ${DEFAULT_AMQP_URL})
  --prefix <prefix>    exchange/queue name prefix (default: $AMQP_PREFIX, else none)
  --docs-path <path>   where the module serves its Swagger/OpenAPI document (default /docs)
  --message-id <id>    message id (default: a random UUID); an id already applied is ignored
  --timeout <ms>       give up after this many milliseconds (default 10000)
  -h, --help           show this help

Exit status: 0 when the broker confirmed the message, 1 when it could not be published,
2 on a usage error.

Examples:
  bifrost modules add billing http://billing:8080 --docs-path /swagger.json
  AMQP_URL=amqp://user:pass@rabbitmq:5672 bifrost modules remove billing`;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

/** Runs the CLI; resolves to the exit status. */
export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
  io: CliIo = defaultIo,
): Promise<number> {
  let parsed: ReturnType<typeof parseCliArgs>;
  try {
    parsed = parseCliArgs(argv);
  } catch (err) {
    io.err(`bifrost: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? 0 : 2;
  }
  const [group, command, name, endpoint, ...extra] = positionals;
  const types: Record<string, ModuleEventType> = {
    add: 'module.added',
    update: 'module.updated',
    remove: 'module.removed',
  };
  const type = command ? types[command] : undefined;
  if (group !== 'modules' || !type) {
    io.err(`bifrost: unknown command '${positionals.slice(0, 2).join(' ')}'\n\n${USAGE}`);
    return 2;
  }
  const wantsEndpoint = type !== 'module.removed';
  if (!name || (wantsEndpoint && !endpoint) || extra.length > 0 || (!wantsEndpoint && endpoint)) {
    io.err(
      `bifrost: modules ${command} takes ${wantsEndpoint ? '<name> <endpoint>' : '<name>'}\n\n${USAGE}`,
    );
    return 2;
  }
  const timeoutMs = values.timeout ? Number(values.timeout) : 10_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    io.err('bifrost: --timeout must be a positive number of milliseconds');
    return 2;
  }
  const event = makeModuleEvent(
    type,
    {
      name,
      ...(endpoint ? { endpoint } : {}),
      ...(values['docs-path'] ? { docsPath: values['docs-path'] } : {}),
    },
    values['message-id'] ? { messageId: values['message-id'] } : {},
  );
  const checked = moduleEventSchema.safeParse(event);
  if (!checked.success) {
    io.err(
      `bifrost: invalid module: ${checked.error.issues.map((i) => `${i.path.slice(1).join('.')}: ${i.message}`).join('; ')}`,
    );
    return 2;
  }

  const url = values['amqp-url'] ?? env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
  const topology = topologyNames(values.prefix ?? env['AMQP_PREFIX'] ?? '');
  let connection: amqp.ChannelModel | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    const publish = async () => {
      connection = await amqp.connect(url, {
        timeout: timeoutMs,
        clientProperties: { connection_name: 'bifrost-cli' },
      });
      connection.on('error', () => {}); // reported through the rejected calls below
      const channel = await connection.createConfirmChannel();
      // Declared here too, so an event sent before any gateway started waits in the durable queue.
      await declareTopology(channel, topology);
      await publishModuleEventOn(channel, topology, checked.data, 'bifrost-cli');
    };
    await Promise.race([
      publish(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no confirmation within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
    io.out(
      `published ${event.type} for '${name}' to ${topology.modulesExchange} (messageId ${event.messageId})`,
    );
    return 0;
  } catch (err) {
    io.err(`bifrost: could not publish ${event.type} to ${redact(url)}: ${(err as Error).message}`);
    return 1;
  } finally {
    clearTimeout(timer);
    await (connection as amqp.ChannelModel | null)?.close().catch(() => {});
  }
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

function parseCliArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'amqp-url': { type: 'string' },
      prefix: { type: 'string' },
      'docs-path': { type: 'string' },
      'message-id': { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
