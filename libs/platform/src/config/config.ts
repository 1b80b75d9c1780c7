import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_ACK_WAIT_MS, DEFAULT_OUTBOX_BATCH_SIZE, natsCredentialsFrom, type NatsCredentials } from '@eventshop/messaging';

/** Raised when the environment is invalid; lists every bad variable at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * READY_MAX_CONSUMER_PENDING's default: generous, so a busy service catching up is never taken out
 * of its Service; only one hopelessly behind is.
 */
export const DEFAULT_READY_MAX_CONSUMER_PENDING = 100_000;

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();

/** An env flag: true/false/1/0/yes/no. */
export const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/**
 * Which peers may tell the client's address in X-Forwarded-For (Express's `trust proxy`): `false`,
 * `true`, a hop count, or addresses/subnets such as `loopback` or `loopback, 10.0.0.0/8`.
 */
const trustProxy = z
  .string()
  .regex(/^[\w.:/, -]+$/, 'true, false, a hop count, or addresses/subnets (loopback, 10.0.0.0/8, …)')
  .transform((value): boolean | number | string =>
    value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value,
  );

/**
 * The standard OpenTelemetry variables the tracing preload (libs/platform/src/tracing) hands to the
 * SDK, checked here so a typo stops the start-up with a clear message instead of tracing silently
 * going nowhere. Unset endpoint: no tracing at all.
 */
const tracingSettings = {
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json', 'grpc']).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
    .optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
};

/**
 * What every process of the system reads, a service or the console: how it runs, where it listens,
 * and the bus. Defaults work on a developer machine.
 */
export function runtimeConfigSchema(defaults: { port: number }) {
  return z.object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: port.default(defaults.port),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    // `pretty` for a person at a terminal (npm start sets it), `json` for everything else.
    LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
    ...tracingSettings,
    TRUST_PROXY: trustProxy.default('loopback'),
    NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
    NATS_NAMESPACE: z.string().regex(/^[A-Za-z0-9_-]*$/).default(''),
    // The process's own NATS user (its name; see libs/messaging/src/auth). Unset: an open development server.
    NATS_USER: z.string().regex(/^[a-z][a-z0-9-]*$/, 'a service name, e.g. email-service').optional(),
    NATS_PASSWORD: z.string().min(1).optional(),
    NATS_PASSWORD_FILE: z.string().min(1).optional(),
  });
}

export type RuntimeConfig = z.infer<ReturnType<typeof runtimeConfigSchema>>;

/**
 * The variables every service reads: the runtime ones plus its database, JWT verification and the
 * bus's settings. Each service extends this with its own (see the README's configuration table,
 * which lists them all). Defaults work on a developer machine.
 */
export function baseConfigSchema(defaults: { port: number; database: string }) {
  return runtimeConfigSchema(defaults).extend({
    POSTGRES_URL: z
      .url({ protocol: /^postgres(ql)?$/ })
      .default('postgres://postgres@127.0.0.1:5432')
      .describe('PostgreSQL server URL without a database name'),
    // The password of POSTGRES_URL's user, from a mounted secret file (the URL then has none).
    POSTGRES_PASSWORD_FILE: z.string().min(1).optional(),
    DATABASE_NAME: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _ only')
      .default(defaults.database),
    // Servers each stream is stored on, where this service creates them (an open NATS); see ensureStreams.
    NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
    JWT_PUBLIC_KEY: z.string().optional(),
    JWT_PUBLIC_KEY_FILE: z.string().min(1).default('.dev-keys/jwt-public.pem'),
    JWT_ISSUER: z.string().min(1).default('eventshop-user-service'),
    JWT_AUDIENCE: z.string().min(1).default('eventshop'),
    OUTBOX_POLL_INTERVAL_MS: positiveInt.default(1000),
    OUTBOX_BATCH_SIZE: positiveInt.max(10_000).default(DEFAULT_OUTBOX_BATCH_SIZE),
    MESSAGE_ACK_WAIT_MS: positiveInt.min(1000).default(DEFAULT_ACK_WAIT_MS),
    // Readiness fails while a consumer group has more undelivered messages than this; 0: never (see HealthController).
    READY_MAX_CONSUMER_PENDING: z.coerce.number().int().min(0).default(DEFAULT_READY_MAX_CONSUMER_PENDING),
  });
}

/**
 * The shared secret of operator endpoints (`X-Admin-Token`, see AdminTokenGuard). Unset: those
 * endpoints are switched off. Long enough that guessing it is hopeless.
 */
export const adminTokenSetting = z.string().min(32, 'must be at least 32 characters').optional();

/** An http(s) base URL; a trailing slash is dropped so paths can be appended with `${url}/path`. */
export const httpUrlSetting = z
  .url({ protocol: /^https?$/ })
  .transform((url) => url.replace(/\/+$/, ''));

export type BaseConfig = z.infer<ReturnType<typeof baseConfigSchema>>;

/** The service's NATS user from its config (the password read from NATS_PASSWORD_FILE), or none. */
export function natsCredentials(config: Pick<RuntimeConfig, 'NATS_USER' | 'NATS_PASSWORD' | 'NATS_PASSWORD_FILE'>): NatsCredentials | undefined {
  try {
    return natsCredentialsFrom(config);
  } catch (error) {
    throw new ConfigError([(error as Error).message]);
  }
}

/** Parses `env` with `schema`; empty strings count as unset so `VAR=` falls back to the default. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`),
    );
  }
  return result.data;
}

type PostgresSettings = Pick<BaseConfig, 'POSTGRES_URL'> & Partial<Pick<BaseConfig, 'POSTGRES_PASSWORD_FILE'>>;

/**
 * POSTGRES_URL with the password read from POSTGRES_PASSWORD_FILE, when that is set: the service's
 * own role (deploy/postgres/init-service-roles.sh) with the password mounted from a secret.
 */
export function postgresServerUrl(config: PostgresSettings): string {
  const file = config.POSTGRES_PASSWORD_FILE;
  if (!file) return config.POSTGRES_URL;
  const url = new URL(config.POSTGRES_URL);
  if (url.password) throw new ConfigError(['POSTGRES_URL has a password and POSTGRES_PASSWORD_FILE is set: give it in one place only']);
  let password: string;
  try {
    password = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new ConfigError([`POSTGRES_PASSWORD_FILE: cannot read ${file} (${(error as Error).message})`]);
  }
  if (!password) throw new ConfigError([`POSTGRES_PASSWORD_FILE: ${file} is empty`]);
  url.password = encodeURIComponent(password);
  return url.toString();
}

/** The service's own database: the server URL (with its password) and DATABASE_NAME. */
export function databaseUrl(config: PostgresSettings & Pick<BaseConfig, 'DATABASE_NAME'>): string {
  const url = new URL(postgresServerUrl(config));
  url.pathname = `/${config.DATABASE_NAME}`;
  return url.toString();
}
