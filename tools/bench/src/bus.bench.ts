/**
 * Event-bus benchmark: one run, one machine, one table. A script that prints figures, not a test.
 *
 *   npm run bench:bus                              # default: 5 rounds × 3000 messages per row, < 1 min on 2 cores
 *   npm run bench:bus -- --quick                   # 1 round × 1000, a few seconds: a smoke check
 *   npm run bench:bus -- --messages 10000 --rounds 3   # or BENCH_MESSAGES / BENCH_ROUNDS
 *
 * Rows (the JetStream rows share one file-backed stream made by ensureStreams, as the services' is):
 *   - raw @nats-io/jetstream: js.publish pipelined + a durable pull consumer with consume(), ack each;
 *     once without and once with a Nats-Msg-Id (our bus always sets one, so that row is the fair baseline)
 *   - our bus: JetStreamPublisher + a MessageRouter registration (JetStreamSubscriber behind the
 *     services' standard middleware chain: dead letter, retry, timeout, contract validation, …) around
 *     a handler that only records, maxInFlight 1 and 32
 *   - @nestjs/microservices' NATS transport: ClientNats.emit + an @EventPattern handler (core NATS, at most once)
 *   - the outbox relay: rows committed through EventBus.publish, then OutboxRelay.relayOnce() in a loop
 *
 * Each row is measured in rounds, rows interleaved, medians printed: publish only (consumer stopped),
 * drain (consumer started on that backlog), end to end (both at once, bounded in-flight), then a paced
 * run for latency without backlog. Figures are wall-clock on a shared machine, where NATS, Postgres
 * and this process compete for the same cores; the CPU-per-message column is the steadier one.
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { lastValueFrom } from 'rxjs';
import { connect } from '@nats-io/transport-node';
import { headers as natsHeaders, nanos, type NatsConnection } from '@nats-io/nats-core';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientNats, EventPattern, Payload, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { EVENT_SUBJECT_ROOT, UserSignedUpV1 } from '@eventshop/contracts';
import {
  EventBus,
  Headers,
  JetStreamPublisher,
  JetStreamSubscriber,
  MessageRouter,
  OutboxRelay,
  consumerGroupName,
  deleteStreams,
  ensureStreams,
  installTracePropagation,
  messagingMigrations,
  topologyFor,
  type Topology,
} from '@eventshop/messaging';
import { Cleanups } from './cleanups.js';
import { fillOutbox } from './fill-outbox.js';
import { median } from './stats.js';

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

interface Config {
  readonly quick: boolean;
  /** Messages per row and round, for each of publish, drain and end-to-end. */
  readonly messages: number;
  /** Rounds over all rows, interleaved; medians are printed. */
  readonly rounds: number;
  /** Messages sent and discarded before each row's measurement (JIT, connections, consumers). */
  readonly warmup: number;
  /** Publishes awaiting their ack at once (core NATS: messages between two flushes). */
  readonly window: number;
  /** Messages in the paced latency measurement, and their rate. */
  readonly latencyMessages: number;
  readonly latencyRate: number;
  /** Outbox rows per relay measurement, and the relay batch sizes measured. */
  readonly outboxRows: number;
  readonly batchSizes: readonly number[];
  readonly natsUrl: string;
  readonly postgresUrl: string;
  readonly skipOutbox: boolean;
  readonly skipNest: boolean;
}

const USAGE = `usage: node tools/bench/dist/bus.bench.js [--quick] [--messages N per row and round] [--rounds N] [--window N]
       [--latency-messages N] [--latency-rate N] [--outbox-rows N] [--batch-sizes 100,500]
       [--no-outbox] [--no-nest]
env:   BENCH_MESSAGES, BENCH_ROUNDS, BENCH_WINDOW, BENCH_LATENCY_MESSAGES, BENCH_LATENCY_RATE, BENCH_OUTBOX_ROWS,
       BENCH_BATCH_SIZES, NATS_URL (nats://127.0.0.1:4222), POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres)`;

function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Config {
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (/^\d+$/.test(arg)) {
      flags.set('messages', arg);
      continue;
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unknown argument "${arg}"\n${USAGE}`);
    const [, name, inline] = match as unknown as [string, string, string | undefined];
    if (['quick', 'no-outbox', 'no-nest'].includes(name)) switches.add(name);
    else if (inline !== undefined) flags.set(name, inline);
    else if (argv[i + 1] !== undefined) flags.set(name, argv[++i]);
    else throw new Error(`--${name} needs a value\n${USAGE}`);
  }
  const quick = switches.has('quick') || env.BENCH_QUICK === '1';
  const int = (flag: string, envName: string, fallback: number): number => {
    const raw = flags.get(flag) ?? env[envName];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${flag} / ${envName} must be a positive integer, got "${raw}"`);
    return value;
  };
  const messages = int('messages', 'BENCH_MESSAGES', quick ? 1_000 : 3_000);
  const batchSizes = (flags.get('batch-sizes') ?? env.BENCH_BATCH_SIZES ?? '100,500')
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
  return {
    quick,
    messages,
    rounds: int('rounds', 'BENCH_ROUNDS', quick ? 1 : 5),
    warmup: Math.min(1_000, Math.max(200, Math.round(messages / 5))),
    window: int('window', 'BENCH_WINDOW', 256),
    latencyMessages: int('latency-messages', 'BENCH_LATENCY_MESSAGES', quick ? 300 : 1_000),
    latencyRate: int('latency-rate', 'BENCH_LATENCY_RATE', 1_000),
    outboxRows: int('outbox-rows', 'BENCH_OUTBOX_ROWS', quick ? 1_000 : 5_000),
    batchSizes: batchSizes.length > 0 ? batchSizes : [100, 500],
    natsUrl: env.NATS_URL ?? 'nats://127.0.0.1:4222',
    postgresUrl: env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    skipOutbox: switches.has('no-outbox'),
    skipNest: switches.has('no-nest'),
  };
}

// ---------------------------------------------------------------------------------------------
// Measurement
// ---------------------------------------------------------------------------------------------

/** The header (JetStream) or payload field (Nest) carrying performance.now() at publish time. */
const SENT_AT = 'Bench-Sent-At';

/** Handled-message counter and latency samples of the measurement in progress. */
class Recorder {
  private samples = new Float64Array(0);
  private count = 0;
  private target = 0;
  private onDone?: () => void;
  private waiter?: { atLeast: number; resolve: () => void };

  /** Starts a measurement of `n` messages; the promise resolves once all n were handled. */
  expect(n: number): Promise<void> {
    this.samples = new Float64Array(n);
    this.count = 0;
    this.target = n;
    this.waiter = undefined;
    return new Promise((resolve) => (this.onDone = resolve));
  }

  /** Resolves once `atLeast` messages of the current measurement were handled (one such waiter at a time). */
  until(atLeast: number): Promise<void> {
    if (this.count >= atLeast) return Promise.resolve();
    return new Promise((resolve) => (this.waiter = { atLeast, resolve }));
  }

  /** Called by every handler with the publish time the message carries. */
  record(sentAt: number): void {
    const latencyMs = performance.now() - sentAt;
    if (this.count < this.target) this.samples[this.count] = latencyMs;
    this.count++;
    if (this.waiter && this.count >= this.waiter.atLeast) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve();
    }
    if (this.count === this.target) this.onDone?.();
  }

  get handled(): number {
    return this.count;
  }

  percentiles(): { p50: number; p99: number } {
    const sorted = this.samples.slice(0, Math.min(this.count, this.target)).sort();
    const at = (q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
    return { p50: at(0.5), p99: at(0.99) };
  }
}

/**
 * One transport under test. Its consumer side feeds the recorder while started.
 * `phase` lets core NATS publish to a subject nobody listens to during the publish-only phase.
 */
interface Harness {
  /** `ack`: send resolves on the broker's ack. `flush`: fire and forget, confirmed by flush(). */
  readonly confirm: 'ack' | 'flush';
  /** Whether messages published while the consumer is stopped are kept for it (a stream) or dropped. */
  readonly durable: boolean;
  send(sentAt: number, phase: 'publish' | 'e2e'): Promise<void>;
  flush(): Promise<void>;
  startConsumer(): Promise<void>;
  stopConsumer(): Promise<void>;
  /** Resolves once the broker has every handled message's ack (nothing pending, nothing unacked). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Throughput of one phase, and the CPU this Node process spent per message (the NATS server's excluded). */
interface PhaseResult {
  rate: number;
  cpuUs: number;
}

/** Starts a wall-clock + process-CPU stopwatch; `stop(n)` turns it into msgs/s and CPU µs per message. */
function stopwatch() {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  return (n: number): PhaseResult => {
    const cpu = process.cpuUsage(cpu0);
    return { rate: n / ((performance.now() - t0) / 1000), cpuUs: (cpu.user + cpu.system) / n };
  };
}

/**
 * Publish only, consumer stopped: `n` messages with at most `window` unconfirmed (JetStream: awaiting
 * their PubAck, pipelined; core NATS: a flush round trip after every window). Returns msgs/s.
 */
async function measurePublish(h: Harness, n: number, window: number): Promise<PhaseResult> {
  const stop = stopwatch();
  if (h.confirm === 'ack') {
    let next = 0;
    const worker = async () => {
      while (next < n) {
        next++;
        await h.send(performance.now(), 'publish');
      }
    };
    await Promise.all(Array.from({ length: Math.min(window, n) }, worker));
  } else {
    for (let sent = 0; sent < n; ) {
      const chunk = Math.min(window, n - sent);
      const sends = new Array<Promise<void>>(chunk);
      for (let k = 0; k < chunk; k++) sends[k] = h.send(performance.now(), 'publish');
      await Promise.all(sends);
      await h.flush();
      sent += chunk;
    }
  }
  return stop(n);
}

/** Starts the consumer on a backlog of `n` stored messages; msgs/s until all are handled and acked. */
async function measureDrain(h: Harness, rec: Recorder, n: number): Promise<PhaseResult> {
  const done = rec.expect(n);
  const stop = stopwatch();
  await h.startConsumer();
  if (!(await within(done, 60_000))) throw new Error(`drain: only ${rec.handled} of ${n} messages arrived`);
  await h.settled();
  return stop(n);
}

interface E2eResult extends PhaseResult {
  p50: number;
  p99: number;
  lost: number;
}

/**
 * Publisher and consumer together, end-to-end flow control: at most `window` messages published but
 * not yet handled. Rate until the last one is handled and the broker has its ack; latency per message.
 */
async function measureE2e(h: Harness, rec: Recorder, n: number, window: number): Promise<E2eResult> {
  const done = rec.expect(n);
  const sends: Promise<void>[] = [];
  let lost = 0;
  const stop = stopwatch();
  for (let sent = 0; sent < n; sent++) {
    if (sent - rec.handled >= window && !(await within(rec.until(sent - window + 1), 10_000))) {
      lost = n - rec.handled; // at-most-once: what was dropped never comes
      break;
    }
    sends.push(h.send(performance.now(), 'e2e'));
  }
  await Promise.all(sends);
  if (h.confirm === 'flush') await h.flush();
  if (!lost && !(await within(done, 30_000))) lost = n - rec.handled;
  await h.settled();
  return { ...stop(n - lost), ...rec.percentiles(), lost };
}

/** Open-loop publisher at a fixed rate far below capacity: latency without a backlog. */
async function measurePaced(h: Harness, rec: Recorder, m: number, rate: number): Promise<{ p50: number; p99: number }> {
  const done = rec.expect(m);
  const sends: Promise<void>[] = [];
  const start = performance.now();
  let sent = 0;
  while (sent < m) {
    const due = Math.min(m, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    while (sent < due) {
      sends.push(h.send(performance.now(), 'e2e'));
      sent++;
    }
    await sleep(1);
  }
  await Promise.all(sends);
  if (h.confirm === 'flush') await h.flush();
  await within(done, 30_000);
  await h.settled();
  return rec.percentiles();
}

// ---------------------------------------------------------------------------------------------
// Transports under test
// ---------------------------------------------------------------------------------------------

interface JsEnv {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly topology: Topology;
}

/** A UserSignedUp v1 envelope, ~440 bytes of JSON: the same bytes for every JetStream row. */
const ENVELOPE = UserSignedUpV1.create(
  {
    userId: randomUUID(),
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    newsletterOptIn: true,
    occurredAt: new Date().toISOString(),
  },
  { correlationId: randomUUID(), source: 'user-service', aggregateId: randomUUID() },
);
const PAYLOAD = new TextEncoder().encode(JSON.stringify(ENVELOPE));

/** Same consumer settings ensureConsumer gives our groups (explicit ack, 30 s ack wait, 1000 pending). */
async function addPullConsumer(env: JsEnv, durable: string, subject: string): Promise<void> {
  await env.jsm.consumers.add(env.topology.eventsStream, {
    durable_name: durable,
    filter_subject: subject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(30_000),
    max_deliver: -1,
    max_ack_pending: 1000,
  });
}

/** Polls the consumer until the server holds no undelivered and no unacked message. */
async function waitAcked(env: JsEnv, durable: string): Promise<void> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    const info = await env.jsm.consumers.info(env.topology.eventsStream, durable);
    if (info.num_pending === 0 && info.num_ack_pending === 0) return;
    if (performance.now() > deadline) {
      throw new Error(`consumer ${durable} still has ${info.num_pending} pending / ${info.num_ack_pending} unacked`);
    }
    await sleep(1);
  }
}

async function rawJetStream(env: JsEnv, rec: Recorder, key: string, withMsgId: boolean): Promise<Harness> {
  const subject = `${env.topology.eventsSubjectRoot}.bench.${key}`;
  const durable = `bench_${key}`;
  await addPullConsumer(env, durable, subject);
  const consumer = await env.js.consumers.get(env.topology.eventsStream, durable);
  let running: { messages: ConsumerMessages; loop: Promise<void> } | undefined;
  const harness: Harness = {
    confirm: 'ack',
    durable: true,
    async send(sentAt) {
      const headers = natsHeaders();
      headers.set(SENT_AT, String(sentAt));
      await env.js.publish(subject, PAYLOAD, withMsgId ? { msgID: randomUUID(), headers } : { headers });
    },
    flush: () => env.nc.flush(),
    async startConsumer() {
      const messages = await consumer.consume(); // library defaults: max_messages 100
      const loop = (async () => {
        for await (const msg of messages) {
          rec.record(Number(msg.headers?.get(SENT_AT)));
          msg.ack();
        }
      })();
      running = { messages, loop };
    },
    async stopConsumer() {
      if (!running) return;
      await running.messages.close();
      await running.loop;
      running = undefined;
    },
    settled: () => waitAcked(env, durable),
    async close() {
      await harness.stopConsumer();
      await env.jsm.consumers.delete(env.topology.eventsStream, durable).catch(() => undefined);
    },
  };
  return harness;
}

async function ourBus(env: JsEnv, rec: Recorder, key: string, maxInFlight: number): Promise<Harness> {
  const subject = `${env.topology.eventsSubjectRoot}.bench.${key}`;
  const publisher = new JetStreamPublisher(env.nc);
  const subscriber = new JetStreamSubscriber(env.js, env.jsm, { stream: env.topology.eventsStream });
  // The chain a service's handler runs in, as the Nest transport builds it (no metrics registry here).
  const router = new MessageRouter({ serviceName: 'bench', subscriber, publisher, topology: env.topology });
  const registration = { handler: key, contracts: [UserSignedUpV1], subject: `${EVENT_SUBJECT_ROOT}.bench.${key}`, maxInFlight };
  const group = consumerGroupName('bench', key);
  const correlationId = randomUUID();
  let sequence = 0;
  const harness: Harness = {
    confirm: 'ack',
    durable: true,
    async send(sentAt) {
      const id = randomUUID();
      // The headers EventBus + OutboxRelay put on every event; 1000 aggregates spread the ordering lanes.
      await publisher.publish({
        id,
        subject,
        payload: PAYLOAD,
        headers: {
          [Headers.CorrelationId]: correlationId,
          [Headers.EventType]: ENVELOPE.type,
          [Headers.EventVersion]: String(ENVELOPE.version),
          [Headers.AggregateId]: `user-${sequence++ % 1000}`,
          [Headers.Source]: 'bench',
          [Headers.ContentType]: 'application/json',
          [Headers.MessageId]: id,
          [SENT_AT]: String(sentAt),
        },
      });
    },
    flush: () => env.nc.flush(),
    async startConsumer() {
      await router.subscribe(registration, async (_event, { message }) => {
        rec.record(Number(message.headers[SENT_AT]));
      });
    },
    stopConsumer: () => router.close(),
    settled: () => waitAcked(env, group),
    async close() {
      await harness.stopConsumer();
      await env.jsm.consumers.delete(env.topology.eventsStream, group).catch(() => undefined);
    },
  };
  return harness;
}

interface NestBenchPayload {
  readonly sentAt: number;
}

async function nestCoreNats(natsUrl: string, rec: Recorder, subject: string): Promise<Harness> {
  @Controller()
  class BenchController {
    @EventPattern<Record<string, NestBenchPayload>>(subject)
    handle(@Payload() data: NestBenchPayload): void {
      rec.record(data.sentAt);
    }
  }
  @Module({ controllers: [BenchController] })
  class BenchNestModule {}

  const app: INestMicroservice = await NestFactory.createMicroservice<MicroserviceOptions>(BenchNestModule, {
    transport: Transport.NATS,
    options: { servers: natsUrl, name: 'bench-nest-server' },
    logger: false,
  });
  await app.listen();
  // The SUB travels on the server's own connection: make sure NATS has it before anyone publishes.
  await app.unwrap<NatsConnection>().flush();
  const client = new ClientNats({ servers: natsUrl, name: 'bench-nest-client' });
  await client.connect();
  const nc = client.unwrap<NatsConnection>();
  return {
    confirm: 'flush',
    durable: false,
    async send(sentAt, phase) {
      // Publish-only phase: a subject nobody subscribes to, so the handler side does no work.
      const pattern = phase === 'publish' ? `${subject}.unheard` : subject;
      await lastValueFrom(client.emit(pattern, { ...ENVELOPE, sentAt }), { defaultValue: undefined });
    },
    flush: () => nc.flush(),
    startConsumer: async () => {},
    stopConsumer: async () => {},
    settled: async () => {},
    async close() {
      await client.close();
      await app.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Outbox relay
// ---------------------------------------------------------------------------------------------

interface OutboxResult {
  batchSize: number;
  rows: number;
  fillRate: number;
  relayRate: number;
  batches: number;
}


async function outboxBench(config: Config, env: JsEnv, dbName: string, cleanups: Cleanups): Promise<OutboxResult[]> {
  const admin = new pg.Client({ connectionString: config.postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  cleanups.push(`drop database ${dbName}`, async () => {
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  });
  const url = new URL(config.postgresUrl);
  url.pathname = `/${dbName}`;
  const ds = new DataSource({
    type: 'postgres',
    url: url.toString(),
    migrations: [...messagingMigrations],
    logging: false,
    extra: { max: 10 },
  });
  await ds.initialize();
  cleanups.push('close outbox data source', async () => {
    if (ds.isInitialized) await ds.destroy();
  });
  await ds.runMigrations({ transaction: 'all' });

  const bus = new EventBus('bench', env.topology);
  const publisher = new JetStreamPublisher(env.nc);
  const results: OutboxResult[] = [];
  for (const batchSize of config.batchSizes) {
    await ds.query('TRUNCATE outbox_messages');
    await env.jsm.streams.purge(env.topology.eventsStream);
    const fillRate = await fillOutbox(ds, bus, config.outboxRows);
    const relay = new OutboxRelay(ds, publisher, { batchSize });
    let batches = 0;
    let idleSince: number | undefined;
    const t0 = performance.now();
    while (relay.published < config.outboxRows) {
      const published = await relay.relayOnce();
      if (published > 0) {
        batches++;
        idleSince = undefined;
        continue;
      }
      idleSince ??= performance.now();
      if (performance.now() - idleSince > 15_000) {
        throw new Error(
          `the relay published nothing for 15 s with ${config.outboxRows - relay.published} rows pending: ` +
            'a long-running transaction elsewhere on this Postgres holds back pg_snapshot_xmin',
        );
      }
      await sleep(2);
    }
    const relayRate = config.outboxRows / ((performance.now() - t0) / 1000);
    const stored = (await env.jsm.streams.info(env.topology.eventsStream)).state.messages;
    if (stored !== config.outboxRows) {
      console.warn(`warning: relay published ${relay.published} rows but the stream holds ${stored} messages`);
    }
    results.push({ batchSize, rows: config.outboxRows, fillRate, relayRate, batches });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const rate = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');

function packageVersion(name: string): string {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve(name));
    for (;;) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name) return pkg.version ?? '?';
      }
      const parent = dirname(dir);
      if (parent === dir) return '?';
      dir = parent;
    }
  } catch {
    return '?';
  }
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------


interface Scenario {
  readonly label: string;
  readonly kind: 'raw' | 'raw-id' | 'bus' | 'nest';
  readonly create: () => Promise<Harness>;
  readonly rounds: { publish: PhaseResult; drain?: PhaseResult; e2e: E2eResult }[];
  paced?: { p50: number; p99: number };
}

/** Spread of the rounds around their median, in %: how noisy this row was. */
const spread = (values: readonly number[]) =>
  values.length < 2 ? '' : `±${Math.round(((Math.max(...values) - Math.min(...values)) / 2 / median(values)) * 100)}%`;

/** Set on Ctrl-C: the run stops at the next step and the SIGINT handler cleans up and exits. */
let interrupted = false;

async function main(): Promise<void> {
  const config = parseConfig(process.argv.slice(2), process.env);
  installTracePropagation(); // as the services run: W3C propagator installed
  const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const namespace = `bench_${suffix}`;
  const topology = topologyFor(namespace);
  const cleanups = new Cleanups();
  cleanups.runOnInterrupt(() => (interrupted = true));

  const runStarted = performance.now();
  try {
    const nc = await connect({ servers: config.natsUrl, name: 'bench' });
    cleanups.push('close NATS connection', () => nc.drain());
    const jsm = await jetstreamManager(nc);
    cleanups.push('delete streams', () => deleteStreams(jsm, topology));
    await ensureStreams(jsm, topology);
    const env: JsEnv = { nc, js: jetstream(nc), jsm, topology };
    const rec = new Recorder();

    const cpus = os.cpus();
    console.log(`eventshop bus benchmark${config.quick ? ' (--quick)' : ''}`);
    console.log(
      `node ${process.version} · nats-server ${nc.info?.version ?? '?'} · @nats-io/jetstream ${packageVersion('@nats-io/jetstream')}` +
        ` · @nats-io/transport-node ${packageVersion('@nats-io/transport-node')} · @nestjs/microservices ${packageVersion('@nestjs/microservices')}` +
        ` · typeorm ${packageVersion('typeorm')}`,
    );
    console.log(
      `${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'} · load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}` +
        ' · NATS, Postgres and this process share these cores, and so may other jobs: expect noise',
    );
    console.log(
      `${config.rounds} round(s) × ${config.messages} messages per row (rows interleaved, medians shown) after ${config.warmup} warm-up; ` +
        `window ${config.window}; paced latency ${config.latencyMessages} messages at ${config.latencyRate}/s; ` +
        `stream ${topology.eventsStream} (file storage)\n`,
    );

    const scenario = (label: string, kind: Scenario['kind'], create: () => Promise<Harness>): Scenario => ({
      label,
      kind,
      create,
      rounds: [],
    });
    const scenarios: Scenario[] = [
      scenario('raw JetStream (no msgID)', 'raw', () => rawJetStream(env, rec, 'raw', false)),
      scenario('raw JetStream + msgID', 'raw-id', () => rawJetStream(env, rec, 'rawid', true)),
      scenario('our bus, maxInFlight 1', 'bus', () => ourBus(env, rec, 'bus1', 1)),
      scenario('our bus, maxInFlight 32', 'bus', () => ourBus(env, rec, 'bus32', 32)),
    ];
    if (!config.skipNest) {
      scenarios.push(
        scenario('Nest NATS transport (core NATS)', 'nest', () => nestCoreNats(config.natsUrl, rec, `${namespace}.nest.bench`)),
      );
    }

    const oneRound = async (h: Harness, n: number) => {
      await h.stopConsumer();
      const publish = await measurePublish(h, n, config.window);
      const drain = h.durable ? await measureDrain(h, rec, n) : undefined;
      if (!h.durable) await h.startConsumer();
      const e2e = await measureE2e(h, rec, n, config.window);
      return { publish, drain, e2e };
    };

    const harnesses = new Map<Scenario, Harness>();
    cleanups.push('close transports', async () => {
      for (const h of harnesses.values()) await h.close().catch(() => undefined);
    });
    for (const s of scenarios) {
      const h = await s.create();
      harnesses.set(s, h);
      await h.startConsumer();
      await oneRound(h, config.warmup);
    }
    for (let round = 0; round < config.rounds && !interrupted; round++) {
      const roundStarted = performance.now();
      await jsm.streams.purge(topology.eventsStream);
      // Rotate the order so no row always runs right after the same neighbour.
      for (let k = 0; k < scenarios.length && !interrupted; k++) {
        const s = scenarios[(k + round) % scenarios.length];
        s.rounds.push(await oneRound(harnesses.get(s) as Harness, config.messages));
      }
      console.log(`  round ${round + 1}/${config.rounds} done in ${((performance.now() - roundStarted) / 1000).toFixed(1)} s`);
    }
    for (const [s, h] of harnesses) {
      if (interrupted) return;
      s.paced = await measurePaced(h, rec, config.latencyMessages, config.latencyRate);
      harnesses.delete(s);
      await h.close();
    }

    let outbox: OutboxResult[] = [];
    if (!config.skipOutbox && !interrupted) {
      outbox = await outboxBench(config, env, `bench_${suffix}`, cleanups);
      console.log('  outbox relay done');
    }

    const med = (s: Scenario, pick: (r: Scenario['rounds'][number]) => number | undefined) =>
      median(s.rounds.map(pick).filter((v): v is number => v !== undefined));
    console.log(
      '\n' +
        table(
          [
            'transport',
            'publish msg/s',
            'drain msg/s',
            'e2e msg/s',
            'e2e noise',
            'CPU µs/msg pub·e2e',
            'p50 ms',
            'p99 ms',
            `p50 @${config.latencyRate}/s`,
            `p99 @${config.latencyRate}/s`,
            'lost',
          ],
          scenarios.map((s) => [
            s.label,
            rate(med(s, (r) => r.publish.rate)),
            s.kind === 'nest' ? 'n/a' : rate(med(s, (r) => r.drain?.rate)),
            rate(med(s, (r) => r.e2e.rate)),
            spread(s.rounds.map((r) => r.e2e.rate)),
            `${Math.round(med(s, (r) => r.publish.cpuUs))} · ${Math.round(med(s, (r) => r.e2e.cpuUs))}`,
            ms(med(s, (r) => r.e2e.p50)),
            ms(med(s, (r) => r.e2e.p99)),
            ms(s.paced?.p50 ?? NaN),
            ms(s.paced?.p99 ?? NaN),
            String(s.rounds.reduce((sum, r) => sum + r.e2e.lost, 0)),
          ]),
        ),
    );
    console.log(
      `  publish: consumer stopped; ${config.window} publishes awaiting their PubAck at once (core NATS: a flush every ${config.window}).\n` +
        '  drain:   consumer started on that stored backlog, until all handled and the server shows nothing unacked.\n' +
        `  e2e:     publisher and consumer together, ≤ ${config.window} published-but-unhandled; publish → handler → ack.\n` +
        '  noise:   half the min–max range of the e2e rounds around their median.\n' +
        '  CPU:     this Node process (publisher + consumer; NATS server excluded) per message: steadier than msg/s here.\n' +
        `  p50/p99: publish → handler during the e2e run (≈ window ÷ rate); @${config.latencyRate}/s: paced, no backlog.\n` +
        '  Nest:    ClientNats.emit + @EventPattern over core NATS, at most once: no stream, no ack, no redelivery.',
    );

    const byKind = (kind: Scenario['kind']) => scenarios.find((s) => s.kind === kind);
    const raw = byKind('raw');
    const rawId = byKind('raw-id');
    if (raw && rawId && rawId.rounds.length > 0) {
      // Ratios within each round (rows run back to back), then the median: steadier than a ratio of medians.
      type Pick = (r: Scenario['rounds'][number]) => number;
      const ratio = (s: Scenario, base: Scenario, pick: Pick, inverse = false) =>
        `${Math.round(median(s.rounds.map((r, i) => (inverse ? pick(base.rounds[i]) / pick(r) : pick(r) / pick(base.rounds[i])))) * 100)} %`;
      console.log('\nour bus as % of raw JetStream: per-round ratios, median (target ≥ 70 %):');
      console.log(
        table(
          ['', 'publish', 'e2e', 'e2e CPU efficiency', 'publish vs no msgID', 'e2e vs no msgID'],
          scenarios
            .filter((s) => s.kind === 'bus')
            .map((s) => [
              s.label,
              ratio(s, rawId, (r) => r.publish.rate),
              ratio(s, rawId, (r) => r.e2e.rate),
              ratio(s, rawId, (r) => r.e2e.cpuUs, true),
              ratio(s, raw, (r) => r.publish.rate),
              ratio(s, raw, (r) => r.e2e.rate),
            ]),
        ),
      );
      console.log(
        '  against "raw JetStream + msgID" unless said; CPU efficiency = raw CPU µs/msg ÷ bus CPU µs/msg (e2e).',
      );
    }

    if (outbox.length > 0) {
      console.log(
        `\noutbox relay: ${config.outboxRows} rows committed first through EventBus.publish (4 writers, 50 events per transaction),` +
          '\nthen OutboxRelay.relayOnce() in a loop until all are published (JetStreamPublisher, same stream):',
      );
      console.log(
        table(
          ['batchSize', 'rows', 'relay msg/s', 'batches', 'ms/batch', 'outbox write rows/s'],
          outbox.map((o) => [
            String(o.batchSize),
            String(o.rows),
            rate(o.relayRate),
            String(o.batches),
            ms(((o.rows / o.relayRate) * 1000) / o.batches),
            rate(o.fillRate),
          ]),
        ),
      );
    }
    console.log(`\ntotal run time ${((performance.now() - runStarted) / 1000).toFixed(1)} s`);
  } finally {
    if (!interrupted) await cleanups.runAll();
  }
}

main().then(
  () => {
    if (!interrupted) process.exit(0);
  },
  (error: unknown) => {
    if (interrupted) return; // whatever broke under the cleanup does not matter; the handler exits
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
