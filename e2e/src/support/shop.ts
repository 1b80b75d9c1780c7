import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { DeadLetterAdmin, deleteStreams, namespacedSubject, topologyFor, type DeadLetter, type NatsCredentials } from '@eventshop/messaging';
import { TEST_NATS_URL as NATS_URL, TEST_POSTGRES_URL as POSTGRES_URL } from '@eventshop/messaging/testing';
import { discoverServices, freePorts, startSystem, type RunningSystem } from '@eventshop/dev-runner';

export const ROOT = resolve(import.meta.dirname, '..', '..', '..');

export interface Shop {
  readonly system: RunningSystem;
  readonly namespace: string;
  /** The NATS and PostgreSQL servers the services use. */
  readonly natsUrl: string;
  readonly postgresUrl: string;
  /** On a NATS with authorization: the admin user the helpers below connect as. */
  readonly natsAdmin?: NatsCredentials;
  url(service: string): string;
  /** The URL of a service's own database (for read-only checks of its rows). */
  databaseUrl(service: string): string;
  readonly mailApi: string;
  /** The services' recent log lines at warn level and above (`[service] line`), to explain a failure. */
  recentLogs(): string[];
  stop(): Promise<void>;
}

/** How many log lines a shop keeps for `recentLogs()`. */
const KEPT_LOG_LINES = 2_000;

export interface ShopOptions {
  env?: Record<string, string>;
  serviceEnv?: Record<string, Record<string, string>>;
  /** The NATS and PostgreSQL servers to use instead of the test environment's (a suite's private ones). */
  natsUrl?: string;
  postgresUrl?: string;
  /**
   * The NATS namespace; default a fresh one. A server whose authorization was generated for one
   * namespace needs it given.
   */
  namespace?: string;
  /**
   * On a NATS with authorization: the admin user, which cleans up the streams at `stop()` and which
   * the helpers below connect as (given the shop). The admin must provision the streams before the
   * start, and each service gets its own user through `serviceEnv` (`NATS_USER`, `NATS_PASSWORD`).
   */
  natsAdmin?: NatsCredentials;
}

/**
 * Starts the real services as processes, isolated from anything else on this machine: their own
 * free ports, their own databases (suffixed) and their own NATS namespace (streams and subjects).
 * `stop()` stops them and deletes the databases and streams.
 */
export async function startShop(services: string[], options: ShopOptions = {}): Promise<Shop> {
  const natsUrl = options.natsUrl ?? NATS_URL;
  const postgresUrl = options.postgresUrl ?? POSTGRES_URL;
  const namespace = options.namespace ?? `e2e${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const databaseSuffix = `_${namespace}`;
  // Distinct ports in one go: asking one at a time can get the same port twice.
  const [smtpPort = 0, webPort = 0, ...servicePorts] = await freePorts(services.length + 2);
  const ports = Object.fromEntries(services.map((name, i) => [name, servicePorts[i] ?? 0] as const));
  const mail = { smtpPort, webPort };
  const recentLogs: string[] = [];
  const system = await startSystem({
    rootDir: ROOT,
    services,
    ports,
    databaseSuffix,
    mail,
    env: {
      NATS_URL: natsUrl,
      POSTGRES_URL: postgresUrl,
      NATS_NAMESPACE: namespace,
      // The lowest cost bcrypt allows: the tests check behaviour, not hashing strength.
      BCRYPT_COST: '4',
      LOG_LEVEL: 'warn',
      SMTP_PORT: String(mail.smtpPort),
      OUTBOX_POLL_INTERVAL_MS: '200',
      // A killed consumer's unacked messages come back after this; keep the crash tests short.
      MESSAGE_ACK_WAIT_MS: '3000',
      // After an SMTP outage, probe again soon.
      SMTP_BREAKER_RESET_MS: '1000',
      ...options.env,
    },
    serviceEnv: {
      ...options.serviceEnv,
      'email-service': {
        // The unsubscribe link in the welcome email must point at this run's newsletter-service.
        ...(ports['newsletter-service'] ? { NEWSLETTER_PUBLIC_URL: `http://127.0.0.1:${ports['newsletter-service']}` } : {}),
        ...options.serviceEnv?.['email-service'],
      },
    },
    log: (service, line) => {
      recentLogs.push(`[${service}] ${line}`);
      if (recentLogs.length > KEPT_LOG_LINES) recentLogs.shift();
      if (process.env.E2E_VERBOSE) console.log(`[${service}] ${line}`);
    },
  });
  const running = (service: string) => {
    const found = system.services[service];
    if (!found) throw new Error(`${service} is not part of this shop`);
    return found;
  };
  return {
    system,
    namespace,
    natsUrl,
    postgresUrl,
    natsAdmin: options.natsAdmin,
    url: (service) => running(service).url,
    databaseUrl: (service) => {
      const database = discoverServices(ROOT).find((found) => found.name === running(service).name)?.database;
      const url = new URL(postgresUrl);
      url.pathname = `/${database}${databaseSuffix}`;
      return url.toString();
    },
    mailApi: `http://127.0.0.1:${mail.webPort}/api`,
    recentLogs: () => [...recentLogs],
    async stop() {
      await system.stop();
      await dropDatabases(postgresUrl, databaseSuffix);
      await deleteNamespaceStreams({ natsUrl, natsAdmin: options.natsAdmin }, namespace);
    },
  };
}

async function dropDatabases(postgresUrl: string, suffix: string): Promise<void> {
  const url = new URL(postgresUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`%${suffix}`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** The NATS server a helper talks to: a URL (an open server), or a shop (as its admin, if it has one). */
export type NatsTarget = string | Pick<Shop, 'natsUrl' | 'natsAdmin'>;

/** A connection to `target`: anonymous on an open server, as the shop's admin on one with authorization. */
export function connectNats(target: NatsTarget = NATS_URL) {
  if (typeof target === 'string') return connect({ servers: target });
  return connect({ servers: target.natsUrl, user: target.natsAdmin?.user, pass: target.natsAdmin?.password });
}

async function deleteNamespaceStreams(nats: NatsTarget, namespace: string): Promise<void> {
  const topology = topologyFor(namespace);
  const connection = await connectNats(nats);
  try {
    await deleteStreams(await jetstreamManager(connection), topology);
  } finally {
    await connection.close();
  }
}

/**
 * Every message stored in the namespace's events stream (from `fromSequence` on, default the first):
 * its sequence, subject, headers and raw text.
 */
export async function storedEvents(
  namespace: string,
  options: { nats?: NatsTarget; fromSequence?: number } = {},
): Promise<Array<{ sequence: number; subject: string; headers: Record<string, string>; text: string }>> {
  const topology = topologyFor(namespace);
  const connection = await connectNats(options.nats);
  try {
    const jsm = await jetstreamManager(connection);
    const { state } = await jsm.streams.info(topology.eventsStream);
    const messages = [];
    for (let seq = Math.max(state.first_seq, options.fromSequence ?? 0); state.messages > 0 && seq <= state.last_seq; seq++) {
      const stored = await jsm.streams.getMessage(topology.eventsStream, { seq });
      if (!stored) continue;
      const headers: Record<string, string> = {};
      for (const key of stored.header?.keys() ?? []) headers[key] = stored.header.get(key);
      messages.push({ sequence: seq, subject: stored.subject, headers, text: stored.string() });
    }
    return messages;
  } finally {
    await connection.close();
  }
}

/** Polls until a probe has an answer: the specs wait with it for effects in other processes (a mail in the catcher). */
export { eventually } from '@eventshop/messaging/testing';

export interface CaughtMail {
  subject: string;
  to: Array<{ address: string }>;
  headers: Record<string, string>;
  text: string;
}

export async function caughtMails(mailApi: string): Promise<CaughtMail[]> {
  const response = await fetch(`${mailApi}/email`);
  return (await response.json()) as CaughtMail[];
}

export function mailsTo(mails: CaughtMail[], address: string): CaughtMail[] {
  return mails.filter((mail) => mail.to.some((to) => to.address === address));
}

export const uniqueEmail = (tag = 'user') => `${tag}-${randomUUID().slice(0, 8)}@example.com`;

/** True once a consumer group has nothing left to deliver and nothing awaiting an ack. */
export async function consumerDrained(namespace: string, consumer: string, nats: NatsTarget = NATS_URL): Promise<boolean> {
  const connection = await connectNats(nats);
  try {
    const jsm = await jetstreamManager(connection);
    const info = await jsm.consumers.info(topologyFor(namespace).eventsStream, consumer);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  } finally {
    await connection.close();
  }
}

/** The dead letters of a namespace, through the same admin the `npm run dlq` CLI uses. */
export async function deadLetters(namespace: string, nats: NatsTarget = NATS_URL): Promise<DeadLetter[]> {
  const connection = await connectNats(nats);
  try {
    const admin = new DeadLetterAdmin(await jetstreamManager(connection), connection, topologyFor(namespace));
    return (await admin.list({ limit: 1000 })).deadLetters;
  } finally {
    await connection.close();
  }
}

/** Publishes raw bytes on a namespaced event subject, as a misbehaving publisher would. */
export async function publishRaw(
  namespace: string,
  contractSubject: string,
  payload: string,
  messageId: string,
  nats: NatsTarget = NATS_URL,
): Promise<void> {
  const connection = await connectNats(nats);
  try {
    await jetstream(connection).publish(namespacedSubject(topologyFor(namespace), contractSubject), payload, { msgID: messageId });
  } finally {
    await connection.close();
  }
}
