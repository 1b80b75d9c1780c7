import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { ensureStreams, topologyFor, type Topology } from '../jetstream/topology.js';
import { inboxPrefixFor } from '../auth/nats-permissions.js';
import { JetStreamPublisher } from '../jetstream/jetstream-publisher.js';
import { JetStreamSubscriber } from '../jetstream/jetstream-subscriber.js';
import { type BusLogger, silentLogger } from '../logger.js';
import type { DependencyBreaker } from '../resilience/dependency-breaker.js';
import { BusStateReader } from '../jetstream/bus-state.js';
import { registerBusStateMetrics } from '../jetstream/bus-state.metrics.js';
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

/** Raised at start-up when a service with its own NATS user finds the streams missing. */
export class StreamsNotProvisionedError extends Error {
  constructor(stream: string) {
    super(
      `The stream ${stream} does not exist, and this service's NATS user may not create streams. ` +
        `Provision them with the admin user first: npm run nats:provision (NATS_USER=admin).`,
    );
    this.name = 'StreamsNotProvisionedError';
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
  /** The lag and dead letters of this service's consumer groups, for `/metrics` and readiness. */
  readonly busState: BusStateReader;
  private readonly breakers = new Map<string, DependencyBreaker>();
  private readonly consumerGroups = new Set<string>();
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
    this.busState = new BusStateReader(() => this.live.jsm, this.topology, () => [...this.consumerGroups]);
    if (options.metricsRegistry) {
      registerBusStateMetrics(options.metricsRegistry, {
        busState: () => this.busState.read(),
        breakers: () => [...this.breakers].map(([name, breaker]) => [name, breaker.state] as const),
      });
    }
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
        user: this.options.credentials?.user,
        pass: this.options.credentials?.password,
        // Replies to this service arrive under its own prefix, which only its NATS user may read.
        inboxPrefix: inboxPrefixFor(this.options.credentials?.user ?? this.options.serviceName),
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
    let jsm: JetStreamManager;
    try {
      jsm = await jetstreamManager(connection);
      // On an open development server the service creates its streams; a service with its own
      // NATS user may not (only the admin manages streams), so it checks they were provisioned.
      if (this.options.credentials) await assertStreamExists(jsm, this.topology.eventsStream);
      else await ensureStreams(jsm, this.topology, { replicas: this.options.streamReplicas });
    } catch (error) {
      // Start-up failed: leave no connection behind reconnecting forever.
      await connection.close();
      throw error;
    }
    const js = jetstream(connection);
    this.state = {
      connection,
      js,
      jsm,
      publisher: new JetStreamPublisher(connection),
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

  /**
   * Registers the circuit breaker of an outbound dependency under `name`, so handlers can declare
   * `@OnEvent(…, { pauseWhileDown: name })`. Returns the breaker for the code that calls the dependency.
   */
  registerBreaker(name: string, breaker: DependencyBreaker): DependencyBreaker {
    if (this.breakers.has(name)) throw new Error(`a breaker named "${name}" is already registered`);
    this.breakers.set(name, breaker);
    return breaker;
  }

  /** Adds a consumer group of this service to the ones whose lag `busState` reports (the transport does, per handler). */
  trackConsumerGroup(group: string): void {
    this.consumerGroups.add(group);
  }

  breaker(name: string): DependencyBreaker {
    const breaker = this.breakers.get(name);
    if (!breaker) throw new Error(`no breaker named "${name}" is registered; register it before the transport starts`);
    return breaker;
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
    for (const breaker of this.breakers.values()) breaker.shutdown();
    const connection = this.state?.connection;
    this.state = undefined;
    if (connection && !connection.isClosed()) await connection.drain().catch(() => connection.close());
  }
}

async function assertStreamExists(jsm: JetStreamManager, stream: string): Promise<void> {
  try {
    await jsm.streams.info(stream);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) throw new StreamsNotProvisionedError(stream);
    throw error;
  }
}
