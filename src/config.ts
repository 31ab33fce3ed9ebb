import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * Gateway configuration, parsed once from the environment at start-up (src/main.ts is the only
 * reader of process.env). Every option has a default that works on a laptop; every problem is
 * reported at once.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', ''])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: int(0, 65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: z.string().url().optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .optional(),
  DATA_DIR: z.string().default('.data/pglite'),
  MESHRC_PATH: z.string().default('.meshrc.yml'),
  EXAMPLES: bool.optional(),
  EXAMPLES_HOST: z.string().default('127.0.0.1'),
  JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  JWT_PUBLIC_KEY: z.string().optional(),
  JWKS_URL: z.string().url().optional(),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  JWT_ALGORITHMS: z.string().optional(),
  JWT_CLOCK_TOLERANCE_SEC: int(0, 3600).default(30),
  ADMIN_SCOPE: z.string().default('bifrost:admin'),
  ORG_CLAIM: z.string().default('org'),
  FORWARD_AUTHORIZATION: bool.default(true),
  UPSTREAM_TIMEOUT_MS: int(1, 600_000).default(10_000),
  SPEC_FETCH_TIMEOUT_MS: int(1, 600_000).default(5_000),
  SPEC_REFRESH_INTERVAL_SEC: int(0, 86_400).default(0),
  REST_ALLOW_UNLISTED: bool.default(false),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  LOG_PRETTY: bool.optional(),
  AMQP_URL: z
    .string()
    .regex(/^amqps?:\/\//, 'must be an amqp:// URL')
    .optional(),
  /** Prefix of every exchange and queue name (lets tests and environments share a broker). */
  AMQP_PREFIX: z.string().default(''),
  /** This replica's id (connection name, ignoring its own `schema.changed`); default random. */
  REPLICA_ID: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'letters, digits, . _ : - only')
    .default(() => `bifrost-${randomBytes(4).toString('hex')}`),
  AMQP_PREFETCH: int(1, 1000).default(10),
  /** Longest delay between broker reconnection attempts. */
  AMQP_RECONNECT_MAX_MS: int(100, 600_000).default(30_000),
  /** Delay before an event that failed for a transient reason (database down) is redelivered. */
  AMQP_RETRY_DELAY_MS: int(0, 600_000).default(2_000),
  /** Whether readiness fails while the broker is unreachable (default: reported only). */
  READY_REQUIRES_BROKER: bool.default(false),
  GRAPHQL_MAX_DEPTH: int(1, 1000).default(15),
  GRAPHQL_MAX_ALIASES: int(0, 10_000).default(30),
  GRAPHQL_MAX_COST: int(1, 100_000_000).default(50_000),
  GRAPHQL_LIST_FACTOR: int(1, 10_000).default(10),
  BODY_LIMIT_BYTES: int(1, 1024 * 1024 * 1024).default(1024 * 1024),
  REST_BODY_LIMIT_BYTES: int(1, 10 * 1024 * 1024 * 1024).default(50 * 1024 * 1024),
  UPSTREAM_MAX_RESPONSE_BYTES: int(1, 10 * 1024 * 1024 * 1024).default(50 * 1024 * 1024),
  RATE_LIMIT_RPS: z.coerce.number().min(0).max(1_000_000).default(100),
  RATE_LIMIT_BURST: int(1, 10_000_000).default(200),
  METRICS_ENABLED: bool.default(true),
  OTEL_ENABLED: bool.default(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().default('bifrost'),
  ENDPOINT_ALLOWLIST: z.string().optional(),
  DRAIN_TIMEOUT_MS: int(0, 600_000).default(10_000),
  JOIN_CONCURRENCY: int(1, 1000).default(10),
  JOIN_MAX_BATCH: int(1, 10_000).default(100),
  JOIN_MAX_KEYS: int(1, 1_000_000).default(1000),
});

export type RawConfig = z.infer<typeof schema>;

export interface Config extends RawConfig {
  /** Whether the bundled example modules start with the gateway (default: true outside production). */
  examples: boolean;
  production: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses and freezes the configuration; throws ConfigError listing every problem. */
export function parseConfig(env: Record<string, string | undefined>): Readonly<Config> {
  // Empty strings mean "unset" (docker-compose and k8s often pass empty values).
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const result = schema.safeParse(cleaned);
  const problems = result.success
    ? []
    : result.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
  // Checked on the raw values so that it is reported together with every other problem.
  if (
    cleaned['NODE_ENV'] === 'production' &&
    !cleaned['JWT_SECRET'] &&
    !cleaned['JWT_PUBLIC_KEY'] &&
    !cleaned['JWKS_URL']
  ) {
    problems.push('JWT_SECRET: production mode needs JWT_SECRET, JWT_PUBLIC_KEY or JWKS_URL');
  }
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  const c = result.data;
  const production = c.NODE_ENV === 'production';
  return Object.freeze({ ...c, production, examples: c.EXAMPLES ?? !production });
}
