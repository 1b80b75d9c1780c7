/**
 * A conformance suite for Publisher/Subscriber adapters: one set of behavioural tests every adapter
 * runs, so "the in-memory bus behaves like JetStream" and "JetStream loses nothing" are checked, not
 * hoped. The idea and the layout come from Watermill's universal Pub/Sub tests
 * (pubsub/tests/test_pubsub.go): one named test function per guarantee, a {@link PubSubFeatures}
 * object saying what the adapter supports, and a runner that skips — visibly — what it does not.
 * The tests themselves are written for our ports: consumer groups, handler outcomes, per-key ordering.
 *
 * Rules the tests follow, so they stay fast and never flaky:
 * - No sleeping as synchronisation. A test waits for the real signal (the set of ids it expects
 *   has been handled, a replica got its first message); timeouts exist only as failure bounds.
 * - Delivery is at least once, so "nothing lost" means every published id was handled at least
 *   once; duplicates are only an error for adapters that claim exactly-once delivery.
 * - Every test gets a fresh broker namespace from the factory, so tests never see each other.
 *
 * Usage, in a spec file:
 * ```ts
 * runPubSubConformance('JetStream', (context) => makeJetStreamFixture(context), { persistent: true, ... });
 * ```
 * Bulk tests handle 5,000 messages; `CONFORMANCE_SHORT=1` makes that 50 (and shrinks replica
 * counts), `CONFORMANCE_MESSAGE_COUNT=n` sets it outright.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { type MessageHandler, retryAfter } from '../handler.js';
import { Headers, type MessageHeaders, type OutgoingMessage, type ReceivedMessage } from '../message.js';
import type { Publisher } from '../ports/publisher.js';
import type { Subscriber, Subscription, SubscriptionOptions } from '../ports/subscriber.js';

// ---------------------------------------------------------------------------------------------
// What an adapter provides
// ---------------------------------------------------------------------------------------------

/** One connection to the broker, as one service process would hold it. */
export interface PubSubClient {
  readonly publisher: Publisher;
  readonly subscriber: Subscriber;
}

/** A client the test opened itself and closes (like a process exiting) when it is done with it. */
export interface ClosablePubSubClient extends PubSubClient {
  /** Disconnects. Subscriptions made through this client stop; unacked messages go back to the broker. */
  close(): Promise<void>;
}

/** What the factory hands each test: a broker namespace of its own, and a first client on it. */
export interface PubSubUnderTest extends PubSubClient {
  /**
   * Subject prefix the test publishes under (without a trailing dot). The broker must capture
   * every subject below it, e.g. because it is the root of the test's own stream.
   */
  readonly subjectRoot: string;
  /** Opens another client on the same broker (for JetStream: another NATS connection). */
  connect(): Promise<ClosablePubSubClient>;
  /** Stops and restarts the broker on the same storage. Only asked of restartable brokers. */
  restartBroker?(): Promise<void>;
  /** Releases everything the factory made: clients, streams, servers. Called once per test. */
  close(): Promise<void>;
}

export interface PubSubTestContext {
  /** Name of the test asking, for logs and resource names. */
  readonly testName: string;
  /** True when the test will restart the broker: it must support {@link PubSubUnderTest.restartBroker}. */
  readonly restartable: boolean;
}

/** Makes a fresh, isolated broker namespace for one test. */
export type PubSubFactory = (context: PubSubTestContext) => Promise<PubSubUnderTest>;

/** What an adapter guarantees; tests of guarantees it does not make are skipped (and show as skipped). */
export interface PubSubFeatures {
  /** Messages are stored: published before anyone subscribed, they are still delivered. */
  readonly persistent: boolean;
  /** Every group gets every message; subscriptions in one group share the group's messages. */
  readonly consumerGroups: boolean;
  /** With maxInFlight > 1, messages with the same ordering key are handled one at a time, in order. */
  readonly orderedPerKey: boolean;
  /** A message whose handler does not settle within the ack wait is delivered again. */
  readonly redeliveryOnAckTimeout: boolean;
  /**
   * The factory can make a broker the test may restart on the same storage
   * ({@link PubSubUnderTest.restartBroker}); the suite then checks that a restart loses nothing.
   */
  readonly restartableBroker: boolean;
  /** A brand-new group replays the stored history (`deliverFrom: 'all'`) or skips it (`'new'`). */
  readonly newGroupReplaysHistory: boolean;
  /** A second publish with the same message id is dropped. */
  readonly deduplicatesPublishes: boolean;
  /**
   * Every message is handled exactly once. Our adapters are at-least-once (false): the suite then
   * tolerates duplicates and only checks that nothing is lost.
   */
  readonly exactlyOnceDelivery: boolean;
}

// ---------------------------------------------------------------------------------------------
// The runner: every named test, with the features it needs
// ---------------------------------------------------------------------------------------------

/** One test of the suite: a guarantee, the features it needs, and the function that checks it. */
interface ConformanceTest {
  /** The Jest test name: "behaviour: the guarantee checked". */
  readonly name: string;
  readonly run: (t: PubSubTestRun) => Promise<void>;
  /** Skipped unless the adapter has all of these. A broker restart also needs `restartableBroker` here. */
  readonly requires?: ReadonlyArray<keyof PubSubFeatures>;
}

const conformanceTests: readonly ConformanceTest[] = [
  { name: 'publish/subscribe: payloads and headers arrive intact', run: testPublishSubscribe },
  {
    name: 'concurrent subscribe: replicas of one group share the messages and lose none',
    run: testConcurrentSubscribe,
    requires: ['consumerGroups'],
  },
  { name: 'many subjects: each subject reaches only its own subscribers', run: testManySubjects },
  { name: 'resend on error: a handler that threw gets the message again', run: testResendOnError },
  { name: 'retry after: a retry outcome is redelivered no sooner than its delay', run: testRetryAfter },
  {
    name: 'ack wait: a handler that never settles gets the message again',
    run: testAckWait,
    requires: ['redeliveryOnAckTimeout'],
  },
  {
    name: 'continue after subscribe close: closing mid-stream loses nothing',
    run: testContinueAfterSubscribeClose,
    requires: ['persistent'],
  },
  {
    name: 'concurrent close: closing many subscriptions at once starts nothing new and loses nothing',
    run: testConcurrentClose,
    requires: ['persistent', 'consumerGroups'],
  },
  {
    name: 'continue after errors: refused messages do not wedge the group',
    run: testContinueAfterErrors,
    requires: ['persistent'],
  },
  {
    name: 'per-key ordering: one message per key at a time, in order, keys in parallel',
    run: testPerKeyOrdering,
    requires: ['orderedPerKey'],
  },
  { name: 'publisher close: what parallel publishers got confirmed survives their disconnect', run: testPublisherClose },
  { name: 'subject filters: subjects are isolated, * and > match as in NATS', run: testSubjectFilters },
  {
    name: 'consumer groups: every group gets every message, its replicas share them',
    run: testConsumerGroups,
    requires: ['consumerGroups'],
  },
  {
    name: 'group history: a new group replays it, a returning group resumes, deliverFrom new skips it',
    run: testGroupHistory,
    requires: ['persistent', 'newGroupReplaysHistory'],
  },
  {
    name: 'close while handling: close is bounded by its timeout and the message is not lost',
    run: testCloseWhileHandling,
    requires: ['consumerGroups', 'redeliveryOnAckTimeout'],
  },
  {
    name: 'publish deduplication: a second publish of the same id is dropped',
    run: testPublishDeduplication,
    requires: ['deduplicatesPublishes'],
  },
  { name: 'reconnect: a broker restart mid-stream loses nothing', run: testReconnect, requires: ['restartableBroker'] },
];

/**
 * Registers the conformance tests for one adapter as a Jest `describe` block, one `it` per
 * guarantee. A test whose features the adapter lacks is registered as skipped, its name saying why.
 *
 * @param name shown in the test names, e.g. `'JetStream'`.
 * @param factory called once per test for a fresh, isolated broker namespace.
 * @param features what the adapter guarantees.
 */
export function runPubSubConformance(name: string, factory: PubSubFactory, features: PubSubFeatures): void {
  const scale = conformanceScale();
  describe(`${name} pub/sub conformance (${scale.messageCount} messages per bulk test)`, () => {
    for (const { name: testName, run, requires = [] } of conformanceTests) {
      const missing = requires.filter((feature) => !features[feature]);
      const body = async () => {
        const broker = await factory({ testName, restartable: requires.includes('restartableBroker') });
        const t = new PubSubTestRun(broker, features, scale);
        try {
          await run(t);
        } finally {
          await t.dispose();
        }
      };
      // Jest's own timeout sits above the waits' bounds, so a stuck test fails with our message, not Jest's.
      if (missing.length === 0) it(testName, body, PATIENCE_MS * 3);
      else it.skip(`${testName} (needs ${missing.join(', ')})`, body);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Shared setup: sizes, the per-test run, delivery collectors, message factories
// ---------------------------------------------------------------------------------------------

/** Failure bound for one wait (not a delay: waits end as soon as their signal arrives). */
const PATIENCE_MS = 60_000;
/** Ack wait for tests that rely on redelivery after an ack timeout. */
const ACK_WAIT_MS = 1_000;

/** How big the bulk tests are. */
interface ConformanceScale {
  /** Messages in each bulk test: 5,000 (about 25 s for the whole JetStream run on 2 cores), 50 when short. */
  readonly messageCount: number;
  /** `CONFORMANCE_SHORT=1`: a quick run, with fewer replicas, subjects and rounds too. */
  readonly short: boolean;
}

function conformanceScale(): ConformanceScale {
  const short = process.env['CONFORMANCE_SHORT'] === '1';
  const configured = Number(process.env['CONFORMANCE_MESSAGE_COUNT']);
  const messageCount = Number.isInteger(configured) && configured > 0 ? configured : short ? 50 : 5_000;
  return { messageCount, short };
}

/**
 * What one test works with: its broker namespace, the sizes and bounds of the run, and tracking of
 * everything it opens, so all of it is closed whatever happens.
 */
export class PubSubTestRun {
  /** Messages in a bulk test. */
  readonly messageCount: number;
  /** A quick run (`CONFORMANCE_SHORT=1`): use fewer replicas, subjects and rounds. */
  readonly short: boolean;
  readonly patienceMs = PATIENCE_MS;
  readonly ackWaitMs = ACK_WAIT_MS;
  private readonly subscriptions: Subscription[] = [];
  private readonly clients: ClosablePubSubClient[] = [];
  private readonly releases: Array<() => void> = [];

  constructor(
    readonly broker: PubSubUnderTest,
    readonly features: PubSubFeatures,
    scale: ConformanceScale,
  ) {
    this.messageCount = scale.messageCount;
    this.short = scale.short;
  }

  /** A subject under the test's root: `subject('a', 'b')` → `<root>.a.b`. */
  subject(...tokens: string[]): string {
    return [this.broker.subjectRoot, ...tokens].join('.');
  }

  /** A fresh collector whose waits fail after the run's patience. */
  deliveries(): Deliveries {
    return new Deliveries(this.patienceMs);
  }

  /** Subscribes, and closes the subscription when the test ends. */
  async subscribe(subscriber: Subscriber, options: SubscriptionOptions, handler: MessageHandler): Promise<Subscription> {
    const subscription = await subscriber.subscribe(options, handler);
    this.subscriptions.push(subscription);
    return subscription;
  }

  /** Opens another client (another "process"), and closes it when the test ends. */
  async connect(): Promise<ClosablePubSubClient> {
    const client = await this.broker.connect();
    this.clients.push(client);
    return client;
  }

  async restartBroker(): Promise<void> {
    if (!this.broker.restartBroker) throw new Error('the factory made a broker without restartBroker()');
    await this.broker.restartBroker();
  }

  /**
   * Messages stored before anyone subscribes is the harder case for a persistent broker; a
   * non-persistent one can only deliver to subscriptions that already exist.
   */
  async arrange(publish: () => Promise<void>, subscribe: () => Promise<unknown>): Promise<void> {
    if (this.features.persistent) {
      await publish();
      await subscribe();
    } else {
      await subscribe();
      await publish();
    }
  }

  /** A deferred the test may never resolve (a stuck handler); released before cleanup so nothing leaks. */
  deferredReleasedOnDispose(): Deferred<void> {
    const d = deferred();
    this.releases.push(d.resolve);
    return d;
  }

  expectNoDuplicates(deliveries: Deliveries): void {
    if (!this.features.exactlyOnceDelivery) return;
    expect(deliveries.duplicates()).toEqual([]);
  }

  /** Called by the runner after the test, pass or fail. */
  async dispose(): Promise<void> {
    for (const release of this.releases) release();
    // Subscriptions first (their handlers may still be running), then the clients, then the broker.
    await Promise.allSettled(this.subscriptions.map((subscription) => subscription.close(2_000)));
    await Promise.allSettled(this.clients.map((client) => client.close()));
    await within(this.broker.close(), this.patienceMs, () => 'the broker did not close');
  }
}

export interface Delivery {
  readonly message: ReceivedMessage;
  /** Which subscription handled it (a label the test chose). */
  readonly by: string;
  /** When the handler saw it (ms since epoch). */
  readonly at: number;
}

/** Records what handlers saw and lets a test wait for exactly the signal it needs. */
export class Deliveries {
  readonly all: Delivery[] = [];
  private readonly firstById = new Map<string, ReceivedMessage>();
  private readonly counts = new Map<string, number>();
  private readonly watchers = new Set<(latest: ReceivedMessage) => void>();

  /** @param patienceMs failure bound of every wait (waits end as soon as their signal arrives). */
  constructor(private readonly patienceMs: number) {}

  /** A handler that records every delivery and acks it. */
  handler(by = ''): MessageHandler {
    return async (message) => {
      this.record(message, by);
    };
  }

  record(message: ReceivedMessage, by = ''): void {
    this.all.push({ message, by, at: Date.now() });
    if (!this.firstById.has(message.id)) this.firstById.set(message.id, message);
    this.counts.set(message.id, (this.counts.get(message.id) ?? 0) + 1);
    for (const watcher of [...this.watchers]) watcher(message);
  }

  get uniqueCount(): number {
    return this.firstById.size;
  }

  /** The first delivery of `id`; throws if it never came (call after waiting for it). */
  first(id: string): ReceivedMessage {
    const message = this.firstById.get(id);
    if (!message) throw new Error(`message ${id} was never delivered`);
    return message;
  }

  countOf(id: string): number {
    return this.counts.get(id) ?? 0;
  }

  /** Ids in the order they were first handled. */
  firstSeenOrder(): string[] {
    return [...this.firstById.keys()];
  }

  missing(expected: ReadonlyArray<{ id: string }>): string[] {
    return expected.filter((m) => !this.firstById.has(m.id)).map((m) => m.id);
  }

  duplicates(): string[] {
    return [...this.counts].filter(([, n]) => n > 1).map(([id]) => id);
  }

  /** Resolves once every expected id was handled; rejects saying how many are missing. */
  untilAll(expected: ReadonlyArray<{ id: string }>): Promise<void> {
    const remaining = new Set(expected.map((m) => m.id).filter((id) => !this.firstById.has(id)));
    return this.until(
      () => `${expected.length} messages (${remaining.size} still missing, e.g. ${[...remaining].slice(0, 3).join(', ')})`,
      (latest) => {
        if (latest) remaining.delete(latest.id);
        return remaining.size === 0;
      },
    );
  }

  /** Resolves once `n` deliveries were recorded, redeliveries included. */
  untilDeliveries(n: number): Promise<void> {
    return this.until(() => `${n} deliveries`, () => this.all.length >= n);
  }

  /** Resolves once `n` distinct messages were handled. */
  untilHandled(n: number): Promise<void> {
    return this.until(() => `${n} distinct messages`, () => this.uniqueCount >= n);
  }

  /** Resolves as soon as `done()` holds after a delivery; the patience is only a failure bound. */
  private until(describeGoal: () => string, done: (latest?: ReceivedMessage) => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        this.watchers.delete(watcher);
      };
      const watcher = (latest: ReceivedMessage) => {
        if (done(latest)) {
          finish();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${this.patienceMs} ms waiting for ${describeGoal()}; ${this.all.length} deliveries so far`));
      }, this.patienceMs);
      this.watchers.add(watcher);
    });
  }
}

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred(): Deferred<void> {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Rejects if `promise` does not settle within `ms`. A failure bound, never a way to wait. */
async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

type MessageShape = (i: number) => { payload?: Uint8Array; headers?: MessageHeaders };

function makeMessages(subject: string, count: number, shape: MessageShape = () => ({})): OutgoingMessage[] {
  const encoder = new TextEncoder();
  return Array.from({ length: count }, (_, i) => {
    const { payload, headers } = shape(i);
    return {
      id: randomUUID(),
      subject,
      payload: payload ?? encoder.encode(JSON.stringify({ n: i })),
      headers: { 'Test-Index': String(i), ...headers },
    };
  });
}

/** Message `i` belongs to aggregate `i % aggregates`: the default ordering key, spread over a few keys. */
function spreadOverAggregates(aggregates: number): MessageShape {
  return (i) => ({ headers: { [Headers.AggregateId]: `aggregate-${i % aggregates}` } });
}

/** Publishes with up to `concurrency` publishes in flight. Calls start in array order. */
async function publishAll(publisher: Publisher, messages: readonly OutgoingMessage[], concurrency = 32): Promise<void> {
  await runConcurrently(messages, concurrency, (message) => publisher.publish(message));
}

/** Runs `work` over `items` from `workers` loops; items are started in order. */
async function runConcurrently<T>(items: readonly T[], workers: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(workers, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/**
 * Publishes until the broker confirms, as a relay does across a broker restart. The pause between
 * attempts is back-off (the broker is down, hammering it helps nobody), not synchronisation:
 * success is decided by the publish ack alone. Same id every time, so a retry is never stored twice.
 */
async function publishWithRetry(publisher: Publisher, message: OutgoingMessage, giveUpAfterMs: number): Promise<void> {
  const deadline = Date.now() + giveUpAfterMs;
  for (;;) {
    try {
      await publisher.publish(message);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Gives other tasks a chance to run `times` times (macrotask turns, so I/O can interleave too). */
async function yieldTimes(times: number): Promise<void> {
  for (let i = 0; i < times; i++) await new Promise((resolve) => setImmediate(resolve));
}

function groupBy<T>(items: readonly T[], keyOf: (item: T, index: number) => string): Record<string, T[]> {
  const groups: Record<string, T[]> = {};
  items.forEach((item, i) => (groups[keyOf(item, i)] ??= []).push(item));
  return groups;
}

// ---------------------------------------------------------------------------------------------
// The tests, one per guarantee, in the order the runner registers them
// ---------------------------------------------------------------------------------------------

/**
 * Every published message is delivered with its subject, payload bytes (empty and binary ones
 * included) and headers exactly as sent, through the group it was subscribed with.
 */
export async function testPublishSubscribe(t: PubSubTestRun): Promise<void> {
  const subject = t.subject('intact');
  const messages = makeMessages(subject, 100, (i) => ({
    // Binary payloads, not just text: bytes must come out exactly as they went in.
    payload: i === 0 ? new Uint8Array(0) : new Uint8Array(randomBytes(1 + ((i * 37) % 512))),
    headers: {
      'Test-Header': `value-${i}`,
      [Headers.CorrelationId]: randomUUID(),
      [Headers.AggregateId]: `aggregate-${i % 7}`,
    },
  }));
  const got = t.deliveries();
  await t.arrange(
    () => publishAll(t.broker.publisher, messages),
    () => t.subscribe(t.broker.subscriber, { group: 'intact', subject }, got.handler()),
  );
  await got.untilAll(messages);

  const problems: string[] = [];
  for (const sent of messages) {
    const received = got.first(sent.id);
    if (received.subject !== sent.subject) problems.push(`${sent.id}: subject ${received.subject}`);
    if (!Buffer.from(received.payload).equals(Buffer.from(sent.payload))) problems.push(`${sent.id}: payload differs`);
    for (const [key, value] of Object.entries(sent.headers)) {
      if (received.headers[key] !== value) problems.push(`${sent.id}: header ${key}=${received.headers[key]}`);
    }
    if (received.consumer !== 'intact') problems.push(`${sent.id}: consumer ${received.consumer}`);
    if (received.deliveryCount < 1) problems.push(`${sent.id}: deliveryCount ${received.deliveryCount}`);
  }
  expect(problems).toEqual([]);
  t.expectNoDuplicates(got);
}

/**
 * Many subscriptions (each on its own client) in one group share a bulk of messages: every
 * message is handled, and the group does not broadcast it to every replica.
 */
export async function testConcurrentSubscribe(t: PubSubTestRun): Promise<void> {
  const subject = t.subject('concurrent');
  const replicas = t.short ? 3 : 10;
  const messages = makeMessages(subject, t.messageCount);
  const got = t.deliveries();
  await Promise.all(
    Array.from({ length: replicas }, async (_, i) => {
      const client = await t.connect();
      await t.subscribe(client.subscriber, { group: 'workers', subject }, got.handler(`replica-${i}`));
    }),
  );
  await publishAll(t.broker.publisher, messages);
  await got.untilAll(messages);
  t.expectNoDuplicates(got);
  // A group shares; it does not broadcast. (Loose bound: redeliveries may add a few duplicates.)
  expect(got.all.length).toBeLessThan(2 * t.messageCount);
}

/** Many subjects busy at once: each subscriber gets all of its own subject's messages and nothing else. */
export async function testManySubjects(t: PubSubTestRun): Promise<void> {
  const subjectCount = t.short ? 5 : 20;
  const perSubject = Math.ceil(t.messageCount / subjectCount);
  const topics = Array.from({ length: subjectCount }, (_, i) => {
    const subject = t.subject('topics', `topic${i}`);
    return { subject, messages: makeMessages(subject, perSubject), got: t.deliveries() };
  });
  await Promise.all(topics.map(({ subject, got }, i) => t.subscribe(t.broker.subscriber, { group: `topic-${i}`, subject }, got.handler())));
  // Interleaved, so every subject is busy at the same time.
  const interleaved = Array.from({ length: perSubject }, (_, n) => topics.map((topic) => topic.messages[n])).flat();
  await publishAll(t.broker.publisher, interleaved);

  await Promise.all(topics.map(({ messages, got }) => got.untilAll(messages)));
  for (const { subject, got } of topics) {
    expect(got.all.filter((d) => d.message.subject !== subject).map((d) => d.message.subject)).toEqual([]);
  }
}

/**
 * A message whose handler threw is delivered again until a handler succeeds, and `deliveryCount`
 * counts the attempts.
 */
export async function testResendOnError(t: PubSubTestRun): Promise<void> {
  const subject = t.subject('resend');
  const messages = makeMessages(subject, 20);
  const failing = new Set(messages.filter((_, i) => i % 2 === 0).map((m) => m.id));
  const attempts = t.deliveries();
  const processed = t.deliveries();
  await t.subscribe(t.broker.subscriber, { group: 'resend', subject }, async (message) => {
    attempts.record(message);
    // Fails the first two deliveries: this also checks that deliveryCount really counts.
    if (failing.has(message.id) && message.deliveryCount <= 2) throw new Error('simulated handler failure');
    processed.record(message);
  });
  await publishAll(t.broker.publisher, messages);
  await processed.untilAll(messages);

  for (const id of failing) {
    expect(attempts.countOf(id)).toBeGreaterThanOrEqual(3);
    expect(processed.first(id).deliveryCount).toBeGreaterThanOrEqual(3);
  }
}

/** A handler's `retryAfter(delay)` outcome gets the message redelivered, and not before the delay. */
export async function testRetryAfter(t: PubSubTestRun): Promise<void> {
  const subject = t.subject('retry');
  const delayMs = 500;
  const [message] = makeMessages(subject, 1);
  const attempts = t.deliveries();
  await t.subscribe(t.broker.subscriber, { group: 'retry', subject }, async (received) => {
    attempts.record(received);
    return received.deliveryCount === 1 ? retryAfter(delayMs) : undefined;
  });
  await t.broker.publisher.publish(message);
  await attempts.untilDeliveries(2);

  const [first, second] = attempts.all;
  expect(second.message.deliveryCount).toBe(2);
  // A lower bound only (10% slack for clocks): later is fine, earlier breaks the contract.
  expect(second.at - first.at).toBeGreaterThanOrEqual(delayMs * 0.9);
}

/**
 * A message whose handler never settles (no ack, no error) is delivered again once the ack wait
 * has passed — not before.
 */
export async function testAckWait(t: PubSubTestRun): Promise<void> {
  const subject = t.subject('noack');
  const [message] = makeMessages(subject, 1);
  const stuck = t.deferredReleasedOnDispose();
  const attempts = t.deliveries();
  // A unique key per delivery turns off per-key ordering, so the second slot can take the
  // redelivery while the first attempt is still stuck (as another replica would).
  const options: SubscriptionOptions = { group: 'noack', subject, ackWaitMs: t.ackWaitMs, maxInFlight: 2, orderingKey: () => randomUUID() };
  await t.subscribe(t.broker.subscriber, options, async (received) => {
    attempts.record(received);
    if (received.deliveryCount === 1) await stuck.promise;
  });
  await t.broker.publisher.publish(message);
  await attempts.untilDeliveries(2);

  const [first, again] = attempts.all;
  expect(again.message.id).toBe(message.id);
  expect(again.message.deliveryCount).toBeGreaterThanOrEqual(2);
  expect(again.at - first.at).toBeGreaterThanOrEqual(t.ackWaitMs * 0.9);
}

/**
 * A group consumed in batches — a fresh client per batch, closed mid-stream like a replica
 * restarting — loses nothing: every message is handled by one batch or another.
 */
export async function testContinueAfterSubscribeClose(t: PubSubTestRun): Promise<void> {
  const subject = t.subject('resume');
  const count = t.messageCount;
  const batches = t.short ? 2 : 5;
  const batchSize = Math.ceil(count / batches);
  const messages = makeMessages(subject, count, spreadOverAggregates(8));
  await publishAll(t.broker.publisher, messages);

  const handled = t.deliveries();
  for (let round = 1; handled.uniqueCount < count; round++) {
    if (round > batches * 4) throw new Error(`still missing ${count - handled.uniqueCount} messages after ${round - 1} rounds`);
    // A fresh client per round, like a replica restarting between batches.
    const client = await t.connect();
    const target = Math.min(count, handled.uniqueCount + batchSize);
    const subscription = await t.subscribe(
      client.subscriber,
      { group: 'resume', subject, maxInFlight: 4, ackWaitMs: t.ackWaitMs },
      handled.handler(`round-${round}`),
    );
    await handled.untilHandled(target);
    await subscription.close();
    await client.close();
  }
  expect(handled.missing(messages)).toEqual([]);
}

/**
 * Closing every replica of a group at once, mid-stream (one of them twice, concurrently), is
 * safe: no handler starts after its subscription's close() was called, and a later subscriber
 * gets everything that was not handled.
 */
export async function testConcurrentClose(t: PubSubTestRun): Promise<void> {
  const subject = t.subject('concurrent-close');
  const replicas = t.short ? 3 : 10;
  const messages = makeMessages(subject, t.messageCount, spreadOverAggregates(16));
  const handled = t.deliveries();
  const options: SubscriptionOptions = { group: 'closing', subject, maxInFlight: 4, ackWaitMs: t.ackWaitMs };
  // Once close() is called, no new handler may start: only those already running finish.
  const closing = new Set<string>();
  const startedAfterClose: string[] = [];
  const subscriptions = await Promise.all(
    Array.from({ length: replicas }, async (_, i) => {
      const label = `replica-${i}`;
      const client = await t.connect();
      return t.subscribe(client.subscriber, options, async (message) => {
        if (closing.has(label)) startedAfterClose.push(`${label}: ${message.id}`);
        // Handlers that take a moment, as real ones do, so close() finds work running and queued.
        await yieldTimes(1 + Math.floor(Math.random() * 3));
        handled.record(message, label);
      });
    }),
  );
  await publishAll(t.broker.publisher, messages);
  await handled.untilHandled(t.messageCount / 4);

  // All at once, mid-stream, and one of them twice: close must be safe to call concurrently.
  subscriptions.forEach((_, i) => closing.add(`replica-${i}`));
  await Promise.all([...subscriptions.map((subscription) => subscription.close()), subscriptions[0].close()]);
  await t.subscribe(t.broker.subscriber, options, handled.handler('survivor'));
  await handled.untilAll(messages);
  expect(startedAfterClose).toEqual([]);
}

/**
 * Rounds of handlers that refuse every message (alternately by throwing and by asking for a
 * retry), each on a client that then disconnects, leave the group able to deliver everything.
 */
export async function testContinueAfterErrors(t: PubSubTestRun): Promise<void> {
  const subject = t.subject('errors');
  const messages = makeMessages(subject, 50);
  const rounds = t.short ? 1 : 3;
  const failuresPerRound = t.short ? 10 : 100;
  const options: SubscriptionOptions = { group: 'stubborn', subject, ackWaitMs: t.ackWaitMs };
  await publishAll(t.broker.publisher, messages);

  for (let round = 0; round < rounds; round++) {
    const client = await t.connect();
    const failures = t.deliveries();
    // Alternate the two ways of refusing a message: throwing, and asking for a retry.
    const subscription = await t.subscribe(client.subscriber, options, async (message) => {
      failures.record(message);
      if (round % 2 === 1) return retryAfter(20);
      throw new Error('simulated handler failure');
    });
    await failures.untilDeliveries(failuresPerRound);
    await subscription.close();
    await client.close();
  }

  const handled = t.deliveries();
  await t.subscribe(t.broker.subscriber, options, handled.handler());
  await handled.untilAll(messages);
}

/**
 * With maxInFlight > 1, messages with the same ordering key are handled one at a time and in
 * publish order, different keys in parallel (never more than maxInFlight) — both for the default
 * key (the aggregate id) and for a custom `orderingKey`.
 */
export async function testPerKeyOrdering(t: PubSubTestRun): Promise<void> {
  const subject = t.subject('ordered');
  const maxInFlight = 8;
  const messages = makeMessages(subject, t.messageCount, (i) => ({
    headers: { [Headers.AggregateId]: `aggregate-${i % 16}`, 'Test-Partition': `partition-${i % 5}` },
  }));
  // Two groups over the same messages: one keyed by the default (the aggregate id), one by a
  // custom orderingKey, so both ways of choosing the key are held to the same promise.
  const groups = [
    { group: 'by-aggregate', keyOf: (h: MessageHeaders) => h[Headers.AggregateId], orderingKey: undefined },
    { group: 'by-partition', keyOf: (h: MessageHeaders) => h['Test-Partition'], orderingKey: (h: MessageHeaders) => h['Test-Partition'] },
  ].map((spec) => ({ ...spec, got: t.deliveries(), running: new Set<string>(), overlaps: [] as string[], peak: 0 }));

  const subscribeAll = () =>
    Promise.all(
      groups.map((g) =>
        t.subscribe(t.broker.subscriber, { group: g.group, subject, maxInFlight, orderingKey: g.orderingKey }, async (message) => {
          const key = g.keyOf(message.headers);
          if (g.running.has(key)) g.overlaps.push(`${key}: ${message.id}`);
          g.running.add(key);
          g.peak = Math.max(g.peak, g.running.size);
          try {
            // Jitter, not synchronisation: lets handlers of different keys interleave.
            await yieldTimes(Math.floor(Math.random() * 4));
            g.got.record(message);
          } finally {
            g.running.delete(key);
          }
        }),
      ),
    );
  // Publishing concurrently relies on the Publisher contract: concurrent calls keep call order.
  await t.arrange(() => publishAll(t.broker.publisher, messages), subscribeAll);

  for (const g of groups) {
    await g.got.untilAll(messages);
    expect(g.overlaps).toEqual([]);
    expect(g.peak).toBeLessThanOrEqual(maxInFlight);
    const expectedByKey = groupBy(messages.map((m) => m.id), (id, i) => g.keyOf(messages[i].headers));
    const handledByKey = groupBy(g.got.firstSeenOrder(), (id) => g.keyOf(g.got.first(id).headers));
    expect(handledByKey).toEqual(expectedByKey);
  }
}

/**
 * A client publishing from many concurrent loops disconnects right after its last publish
 * resolved: everything it published is delivered, because a resolved publish is already durable.
 */
export async function testPublisherClose(t: PubSubTestRun): Promise<void> {
  const subject = t.subject('publishers');
  const messages = makeMessages(subject, t.messageCount);
  const got = t.deliveries();
  await t.subscribe(t.broker.subscriber, { group: 'collector', subject }, got.handler());
  const client = await t.connect();
  await publishAll(client.publisher, messages, 20);
  await client.close();
  await got.untilAll(messages);
}

/**
 * A subscription gets exactly the subjects its filter matches: an exact subject only itself,
 * `*` one token, `>` one or more tokens — as NATS matches them.
 */
export async function testSubjectFilters(t: PubSubTestRun): Promise<void> {
  const base = t.subject('iso');
  const subjects = { a: `${base}.a`, b: `${base}.b`, ab: `${base}.ab`, ax: `${base}.a.x`, ay: `${base}.a.y` };
  type Key = keyof typeof subjects;
  const filters: Array<{ filter: string; matches: Key[] }> = [
    { filter: subjects.a, matches: ['a'] },
    { filter: `${base}.*`, matches: ['a', 'b', 'ab'] },
    { filter: `${base}.>`, matches: ['a', 'b', 'ab', 'ax', 'ay'] },
    { filter: `${base}.a.>`, matches: ['ax', 'ay'] },
    { filter: `${base}.*.x`, matches: ['ax'] },
  ];
  const keys = Object.keys(subjects) as Key[];
  const published = Array.from({ length: 5 }, () => keys.map((key) => ({ key, message: makeMessages(subjects[key], 1)[0] }))).flat();
  const groups = filters.map((f, i) => ({
    ...f,
    got: t.deliveries(),
    expected: published.filter((p) => f.matches.includes(p.key)).map((p) => p.message),
    group: `filter-${i}`,
  }));
  await Promise.all(groups.map((g) => t.subscribe(t.broker.subscriber, { group: g.group, subject: g.filter }, g.got.handler())));
  await publishAll(
    t.broker.publisher,
    published.map((p) => p.message),
    1,
  );
  for (const g of groups) {
    await g.got.untilAll(g.expected);
    // Delivery follows publish order, so anything wrongly matched would have arrived by now.
    const expectedIds = new Set(g.expected.map((m) => m.id));
    const strays = g.got.all.filter((d) => !expectedIds.has(d.message.id)).map((d) => d.message.subject);
    expect({ filter: g.filter, strays }).toEqual({ filter: g.filter, strays: [] });
  }
}

/**
 * Two groups on one subject each get every message; within a group, both replicas get some of
 * them (the group is shared) and a message reaches both only as an occasional redelivery.
 */
export async function testConsumerGroups(t: PubSubTestRun): Promise<void> {
  const subject = t.subject('groups');
  const messages = makeMessages(subject, 100);
  const groups = ['billing', 'shipping'].map((group) => ({ group, got: t.deliveries() }));

  const subscribeReplicas = async () => {
    for (const { group, got } of groups) {
      // Each replica, on its first message, waits until the other replica has one too. If the
      // group does not share, that never happens and the wait fails with a clear message.
      const firsts = [deferred(), deferred()];
      for (const replica of [0, 1]) {
        const client = await t.connect();
        let first = true;
        await t.subscribe(client.subscriber, { group, subject }, async (message) => {
          if (first) {
            first = false;
            firsts[replica].resolve();
            await within(firsts[1 - replica].promise, t.patienceMs, () => `replica ${1 - replica} of ${group} never got a message: the group is not shared`);
          }
          got.record(message, `replica-${replica}`);
        });
      }
    }
  };
  await t.arrange(() => publishAll(t.broker.publisher, messages), subscribeReplicas);

  for (const { got } of groups) {
    await got.untilAll(messages);
    expect(new Set(got.all.map((d) => d.by))).toEqual(new Set(['replica-0', 'replica-1']));
    // Shared, not broadcast: a message reaches both replicas only as an occasional redelivery.
    const handledByBoth = messages.filter((m) => new Set(got.all.filter((d) => d.message.id === m.id).map((d) => d.by)).size > 1);
    expect(handledByBoth.length).toBeLessThan(messages.length / 2);
  }
}

/**
 * A brand-new group with `deliverFrom: 'all'` replays the stored history; a group that comes back
 * resumes after the last message it acked instead of starting over; a new group with
 * `deliverFrom: 'new'` sees only what is published after it subscribed.
 */
export async function testGroupHistory(t: PubSubTestRun): Promise<void> {
  const subject = t.subject('history');
  const [m1, m2, m3, m4] = makeMessages(subject, 4);
  const first = t.deliveries();
  const second = t.deliveries();
  const latecomer = t.deliveries();

  await t.broker.publisher.publish(m1);
  const firstSubscription = await t.subscribe(t.broker.subscriber, { group: 'first', subject, deliverFrom: 'all' }, first.handler('session-1'));
  await first.untilAll([m1]);

  await t.broker.publisher.publish(m2);
  await first.untilAll([m2]);
  await t.subscribe(t.broker.subscriber, { group: 'second', subject, deliverFrom: 'all' }, second.handler());
  await second.untilAll([m1, m2]);

  // The group comes back after a restart: it must continue after m2, not start over.
  await firstSubscription.close();
  await t.broker.publisher.publish(m3);
  await t.subscribe(t.broker.subscriber, { group: 'first', subject, deliverFrom: 'all' }, first.handler('session-2'));
  await first.untilAll([m3]);
  expect(first.all.filter((d) => d.by === 'session-2').map((d) => d.message.id)).toEqual([m3.id]);

  // A new group that asks for new messages only never sees m1..m3.
  await t.subscribe(t.broker.subscriber, { group: 'latecomer', subject, deliverFrom: 'new' }, latecomer.handler());
  await t.broker.publisher.publish(m4);
  await latecomer.untilAll([m4]);
  expect(latecomer.all.map((d) => d.message.id)).toEqual([m4.id]);
}

/**
 * `close(timeout)` returns within about its timeout even while a handler hangs (and messages wait
 * behind it), and the hung message is redelivered to the group's next subscriber.
 */
export async function testCloseWhileHandling(t: PubSubTestRun): Promise<void> {
  const subject = t.subject('hang');
  // More than one message: the ones queued behind the stuck handler must not hold up close either.
  const messages = makeMessages(subject, 3);
  const stuck = t.deferredReleasedOnDispose();
  const hung = t.deliveries();
  const options: SubscriptionOptions = { group: 'hang', subject, ackWaitMs: t.ackWaitMs };
  const client = await t.connect();
  const subscription = await t.subscribe(client.subscriber, options, async (message) => {
    hung.record(message);
    await stuck.promise;
  });
  await publishAll(t.broker.publisher, messages);
  await hung.untilDeliveries(1);

  const closeTimeoutMs = 300;
  const started = Date.now();
  await within(subscription.close(closeTimeoutMs), t.patienceMs, () => `close(${closeTimeoutMs}) did not return while a handler hung`);
  expect(Date.now() - started).toBeLessThan(closeTimeoutMs + 2_000);

  const rescued = t.deliveries();
  await t.subscribe(t.broker.subscriber, options, rescued.handler('rescuer'));
  await rescued.untilAll(messages);
  expect(rescued.first(hung.all[0].message.id).deliveryCount).toBeGreaterThanOrEqual(2);
}

/**
 * A second publish with an id already published (the retry of a publish whose ack got lost) is
 * dropped, even with a different payload: the first one is what subscribers get.
 */
export async function testPublishDeduplication(t: PubSubTestRun): Promise<void> {
  const subject = t.subject('dedup');
  const [original, fence] = makeMessages(subject, 2);
  await t.broker.publisher.publish(original);
  // The retry of a publish whose ack got lost: same id. (Even with a different payload, the first one wins.)
  await t.broker.publisher.publish({ ...original, payload: new TextEncoder().encode('second copy') });
  await t.broker.publisher.publish(fence);

  const got = t.deliveries();
  await t.subscribe(t.broker.subscriber, { group: 'dedup', subject }, got.handler());
  // Delivery follows publish order: once the fence is here, a stored duplicate would be too.
  await got.untilAll([fence]);
  expect(got.all.map((d) => d.message.id)).toEqual([original.id, fence.id]);
  expect(Buffer.from(got.all[0].message.payload).equals(Buffer.from(original.payload))).toBe(true);
}

/**
 * The broker restarts twice while a bulk is being published and consumed: publishers retry until
 * confirmed (as the outbox relay does), subscribers reconnect, and every message is handled.
 */
export async function testReconnect(t: PubSubTestRun): Promise<void> {
  const subject = t.subject('reconnect');
  const count = t.messageCount;
  const messages = makeMessages(subject, count, spreadOverAggregates(16));
  const got = t.deliveries();
  await t.subscribe(t.broker.subscriber, { group: 'survivor', subject, maxInFlight: 8, ackWaitMs: t.ackWaitMs }, got.handler());

  // Restart the broker twice while publishing and consuming are in full swing. Chained, so
  // that two restart points hit close together still make two restarts, one after the other.
  const restartAt = new Set([Math.floor(count / 3), Math.floor(count / 2)]);
  let restarts = Promise.resolve();
  let started = 0;
  const publishRetrying = async (message: OutgoingMessage) => {
    if (restartAt.has(started++)) restarts = restarts.then(() => t.restartBroker());
    await publishWithRetry(t.broker.publisher, message, t.patienceMs);
  };
  await runConcurrently(messages, 20, publishRetrying);
  await restarts;
  await got.untilAll(messages);
}
