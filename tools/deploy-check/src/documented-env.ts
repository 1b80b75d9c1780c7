/**
 * The one documented list of environment variables.
 *
 * It MUST match the configuration table in the root README.md ("| variable | services | …"): the
 * same names, each for the same services. A test (docker-compose.unit.spec.ts) compares the two and
 * fails on any difference, so change both in the same commit. The deploy-check tests then reject any
 * variable set for an app in docker-compose.yml or k8s/ that is not documented here for that app: a
 * typo (`DATABSE_NAME`) or an undocumented knob fails instead of silently doing nothing.
 */

/** Read by every service (README "services" column: all). */
export const SHARED_ENV = [
  'NODE_ENV',
  'HOST',
  'PORT',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_SERVICE_NAME',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'TRUST_PROXY',
  'POSTGRES_URL',
  'POSTGRES_PASSWORD_FILE',
  'DATABASE_NAME',
  'NATS_URL',
  'NATS_NAMESPACE',
  'NATS_STREAM_REPLICAS',
  'NATS_USER',
  'NATS_PASSWORD',
  'NATS_PASSWORD_FILE',
  'JWT_PUBLIC_KEY',
  'JWT_PUBLIC_KEY_FILE',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'OUTBOX_POLL_INTERVAL_MS',
  'OUTBOX_BATCH_SIZE',
  'MESSAGE_ACK_WAIT_MS',
  'READY_MAX_CONSUMER_PENDING',
] as const;

/** Read by some apps only, keyed by app (= folder under apps/; README: "user", "email", …, "console"). */
export const SERVICE_ENV: Readonly<Record<string, readonly string[]>> = {
  'user-service': [
    'JWT_PRIVATE_KEY',
    'JWT_PRIVATE_KEY_FILE',
    'JWT_TTL_SECONDS',
    'AUTH_RATE_LIMIT_PER_ACCOUNT',
    'AUTH_RATE_LIMIT_PER_CLIENT',
    'AUTH_RATE_LIMIT_WINDOW_SECONDS',
    'BCRYPT_COST',
    'ACCOUNT_DELETION_RETRY_AFTER_MS',
    'ACCOUNT_DELETION_DEADLINE_MS',
    'ACCOUNT_DELETION_CHECK_INTERVAL_MS',
  ],
  'email-service': [
    'SMTP_HOST',
    'SMTP_PORT',
    'SMTP_SECURE',
    'SMTP_USER',
    'SMTP_PASSWORD',
    'MAIL_FROM',
    'SMTP_TIMEOUT_MS',
    'SMTP_BREAKER_RESET_MS',
    'NEWSLETTER_PUBLIC_URL',
    'NEWSLETTER_LINK_SECRET',
  ],
  'newsletter-service': ['NEWSLETTER_LINK_SECRET'],
  'read-model-service': ['ADMIN_TOKEN'],
  console: [
    'USER_SERVICE_URL',
    'EMAIL_SERVICE_URL',
    'NEWSLETTER_SERVICE_URL',
    'ORDER_SERVICE_URL',
    'READ_MODEL_SERVICE_URL',
    'MAILDEV_URL',
    'MAILDEV_PUBLIC_URL',
    'JAEGER_URL',
    'ADMIN_TOKEN',
  ],
};

/** Read by local tooling, never by a service (must not be set on an app service): name → the command that reads it. */
export const TOOL_ENV: Readonly<Record<string, 'npm start' | 'npm test'>> = {
  MAILDEV_SMTP_PORT: 'npm start',
  MAILDEV_WEB_PORT: 'npm start',
  EVENTSHOP_EMBEDDED_POSTGRES: 'npm start',
  EVENTSHOP_POSTGRES_PROBE_PORT: 'npm start',
  EVENTSHOP_NATS_PROBE_PORT: 'npm start',
  CHROMIUM_PATH: 'npm test',
};

/** Every documented name (the README table, as a set). */
export const DOCUMENTED_ENV: ReadonlySet<string> = new Set([...SHARED_ENV, ...Object.values(SERVICE_ENV).flat(), ...Object.keys(TOOL_ENV)]);

/** The names `service` may be given: the shared ones plus its own. */
export function allowedEnvFor(service: string): ReadonlySet<string> {
  return new Set([...SHARED_ENV, ...(SERVICE_ENV[service] ?? [])]);
}

/**
 * Variables whose value is a secret: they may only be set by reference (a *_FILE path to a mounted
 * file, a Secret via valueFrom), never as a literal in docker-compose.yml or in a k8s manifest.
 */
export const SECRET_ENV: ReadonlySet<string> = new Set(['JWT_PRIVATE_KEY', 'SMTP_PASSWORD', 'NEWSLETTER_LINK_SECRET', 'ADMIN_TOKEN', 'NATS_PASSWORD']);
