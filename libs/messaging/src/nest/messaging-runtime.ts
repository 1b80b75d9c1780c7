import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { ensureStreams, topologyFor, type Topology } from '../jetstream/topology.js';
import { JetStreamPublisher } from '../jetstream/jetstream-publisher.js';
import { JetStreamSubscriber } from '../jetstream/jetstream-subscriber.js';
import { type BusLogger, silentLogger } from '../logger.js';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging-options.js';

/** Raised at start-up when NATS cannot be reached; its message says what to do. */
export class NatsUnavailableError extends Error {
  constructor(url: string, cause: unknown) {
    super(
      `Cannot reach NATS at ${url} (${cause instanceof Error ? cause.message : String(cause)}). ` +
        `Start a JetStream-enabled server, e.g. "nats-server -js", or set NATS_URL.`,
    );
    this.name = 'NatsUnavailableError';
  }
}

/**
 * The service's live connection to the bus: one NATS connection, the JetStream clients, the
 * publisher and subscriber adapters, and the stream topology (created on connect).
 */
@Injectable()
export class MessagingRuntime implements OnModuleInit, OnApplicationShutdown {
  readonly topology: Topology;
  readonly logger: BusLogger;
  private state?: {
    connection: NatsConnection;
    js: JetStreamClient;
    jsm: JetStreamManager;
    publisher: JetStreamPublisher;
    subscriber: JetStreamSubscriber;
  };

  constructor(@Inject(MESSAGING_OPTIONS) readonly options: MessagingOptions) {
    this.topology = topologyFor(options.namespace);
    this.logger = options.logger ?? silentLogger;
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async connect(): Promise<void> {
    if (this.state) return;
    let connection: NatsConnection;
    try {
      connection = await connect({
        servers: this.options.natsUrl,
        name: this.options.serviceName,
        // Once up, ride out broker restarts: reconnect forever and buffer publishes meanwhile.
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        // Capturing an async stack trace per request costs ~12 % of publish CPU (see bench:bus);
        // our errors carry enough context without it.
        noAsyncTraces: true,
      });
    } catch (error) {
      throw new NatsUnavailableError(this.options.natsUrl, error);
    }
    const jsm = await jetstreamManager(connection);
    await ensureStreams(jsm, this.topology);
    const js = jetstream(connection);
    this.state = {
      connection,
      js,
      jsm,
      publisher: new JetStreamPublisher(js),
      subscriber: new JetStreamSubscriber(js, jsm, { stream: this.topology.eventsStream, logger: this.logger }),
    };
  }

  private get live() {
    if (!this.state) throw new Error('MessagingRuntime used before connect()');
    return this.state;
  }

  get connection(): NatsConnection {
    return this.live.connection;
  }
  get jetstreamManager(): JetStreamManager {
    return this.live.jsm;
  }
  get publisher(): JetStreamPublisher {
    return this.live.publisher;
  }
  get subscriber(): JetStreamSubscriber {
    return this.live.subscriber;
  }

  /** True when the broker answers a round trip within `timeoutMs`. */
  async isHealthy(timeoutMs = 1_000): Promise<boolean> {
    if (!this.state || this.state.connection.isClosed()) return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.state.connection.rtt().then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs last: handlers have finished (the transport closed first), so drain and close. */
  async onApplicationShutdown(): Promise<void> {
    const connection = this.state?.connection;
    this.state = undefined;
    if (connection && !connection.isClosed()) await connection.drain().catch(() => connection.close());
  }
}
