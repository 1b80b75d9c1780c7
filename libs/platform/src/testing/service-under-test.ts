import { generateKeyPairSync } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { deleteStreams, JetStreamPublisher, topologyFor, type Topology } from '@eventshop/messaging';
import { TEST_NATS_URL, TEST_POSTGRES_URL, uniqueName } from '@eventshop/messaging/testing';
import type { BaseConfig } from '../config/config.js';
import { dropDatabase } from '../database/ensure-database.js';
import { ServiceLogger } from '../logging/service-logger.js';
import { startService } from '../bootstrap/start-service.js';

/** An RSA key pair in PEM: the service under test verifies with the public key, the test signs with the private one. */
export interface TestJwtKeys {
  readonly publicKey: string;
  readonly privateKey: string;
}

/** A key pair made for this test run, so no test depends on the developer's .dev-keys. */
export function testJwtKeys(): TestJwtKeys {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

/**
 * Signs access tokens the way user-service issues them (RS256, subject = user id, an email claim),
 * for the issuer and audience `config` checks. Pass another `privateKey` to forge a token the
 * service must refuse.
 */
export function testTokenSigner(
  keys: TestJwtKeys,
  config: Pick<BaseConfig, 'JWT_ISSUER' | 'JWT_AUDIENCE'>,
  { expiresInSeconds = 300 }: { expiresInSeconds?: number } = {},
): (userId: string, privateKey?: string) => string {
  return (userId, privateKey = keys.privateKey) =>
    jwt.sign({ email: `${userId}@example.com` }, privateKey, {
      algorithm: 'RS256',
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      subject: userId,
      expiresIn: expiresInSeconds,
    });
}

/**
 * A service's config for an in-process test: the test PostgreSQL and NATS, a database and a NATS
 * namespace of its own (unique names from `name`: lower-case letters, digits and _), `keys`' public
 * key to verify JWTs with (if the service checks any), a fast outbox relay, errors-only logs, then
 * `env` (the service's own settings, or overrides) on top. PORT is 0: the OS
 * picks a free port when the service listens, so parallel suites never collide (the schema rightly
 * refuses 0 for a real deployment, hence it is set after loading).
 */
export function serviceTestConfig<C extends BaseConfig>(
  load: (env: NodeJS.ProcessEnv) => C,
  { name, keys, env = {} }: { name: string; keys?: TestJwtKeys; env?: NodeJS.ProcessEnv },
): C {
  return {
    ...load({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      POSTGRES_URL: TEST_POSTGRES_URL,
      NATS_URL: TEST_NATS_URL,
      DATABASE_NAME: uniqueName(`${name}_db`),
      NATS_NAMESPACE: uniqueName(name),
      JWT_PUBLIC_KEY: keys?.publicKey,
      OUTBOX_POLL_INTERVAL_MS: '100',
      ...env,
    }),
    PORT: 0,
  };
}

/** A service running in-process for a test, with what the test needs to drive and inspect it. */
export interface ServiceUnderTest<C extends BaseConfig> {
  readonly app: INestApplication;
  readonly config: C;
  /** The service's own DataSource (its database), to look at what it stored. */
  readonly dataSource: DataSource;
  /** The test's own connection to the service's NATS server. */
  readonly nats: NatsConnection;
  readonly jsm: JetStreamManager;
  /** Publishes on the bus as another service's outbox relay would (see publishEvent). */
  readonly publisher: JetStreamPublisher;
  /** The streams of the service's namespace. */
  readonly topology: Topology;
  /** A supertest client of the service's HTTP server. */
  http(): ReturnType<typeof request>;
  /** Closes the service, deletes its namespace's streams, drains `nats` and drops its database. */
  stop(): Promise<void>;
}

/**
 * Starts a service in-process with `config` (see serviceTestConfig) and connects the test to its
 * NATS server. Contract: the returned fixture owns everything it made — `stop()` closes the app,
 * deletes the streams of `config.NATS_NAMESPACE`, drains the test's connection and drops
 * `config.DATABASE_NAME`; if starting fails, that clean-up runs before the error is rethrown, so a
 * suite calls `stop()` only on a fixture it got. Call `stop()` once, in afterAll.
 */
export async function startServiceUnderTest<C extends BaseConfig>(options: {
  /** The service's name (its manifest's), for its logger and its request-reply queue group. */
  readonly serviceName: string;
  readonly config: C;
  /** The service's root module for `config`, e.g. `OrderServiceModule.register`. */
  readonly module: (config: C, logger: ServiceLogger) => unknown;
  /** Whether the service answers NATS request-reply (see startService). */
  readonly requestReply?: boolean;
}): Promise<ServiceUnderTest<C>> {
  const { config, serviceName } = options;
  const topology = topologyFor(config.NATS_NAMESPACE);
  let app: INestApplication | undefined;
  let nats: NatsConnection | undefined;
  const stop = async () => {
    await app?.close();
    // If the start failed before the test connected, a connection of its own removes the streams.
    const cleaner = nats ?? (await connect({ servers: config.NATS_URL }));
    await deleteStreams(await jetstreamManager(cleaner), topology);
    await cleaner.drain();
    await dropDatabase(config.POSTGRES_URL, config.DATABASE_NAME);
  };
  let jsm: JetStreamManager;
  try {
    const logger = new ServiceLogger(serviceName, { level: config.LOG_LEVEL, format: config.LOG_FORMAT });
    app = await startService({
      module: options.module(config, logger),
      config,
      logger,
      requestReply: options.requestReply ? { serviceName } : undefined,
    });
    nats = await connect({ servers: config.NATS_URL });
    jsm = await jetstreamManager(nats);
  } catch (error) {
    // The start failure is what the suite should report, not a clean-up failure that follows it.
    await stop().catch(() => undefined);
    throw error;
  }
  const running = app;
  return {
    app: running,
    config,
    dataSource: running.get(DataSource),
    nats,
    jsm,
    publisher: new JetStreamPublisher(nats),
    topology,
    http: () => request(running.getHttpServer()),
    stop,
  };
}
