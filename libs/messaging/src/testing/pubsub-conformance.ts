/**
 * A conformance suite for Publisher/Subscriber adapters: one set of behavioural tests every adapter
 * runs, so "the in-memory bus behaves like JetStream" and "JetStream loses nothing" are checked, not
 * hoped. The idea comes from Watermill's universal Pub/Sub tests (pubsub/tests/test_pubsub.go);
 * the tests here are written for our ports: consumer groups, handler outcomes, per-key ordering.
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
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { type MessageHandler, retryAfter } from '../handler.js';
import { Headers, type MessageHeaders, type OutgoingMessage, type ReceivedMessage } from '../message.js';
import type { Publisher } from '../ports/publisher.js';
import type { Subscriber, Subscription, SubscriptionOptions } from '../ports/subscriber.js';

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
  /** True for the reconnect test: the broker must support {@link PubSubUnderTest.restartBroker}. */
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
  /** A message whose handler does not settle within `ackWaitMs` is delivered again. */
  readonly redeliveryOnAckTimeout: boolean;
  /** The factory can make a restartable broker, and a broker restart loses nothing. */
  readonly reconnect: boolean;
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

export interface PubSubConformanceOptions {
  /**
   * Messages in each bulk test. Default: `CONFORMANCE_MESSAGE_COUNT`, else 50 when
   * `CONFORMANCE_SHORT=1`, else 5,000 (about 45 s for the whole JetStream run on 2 cores).
   */
  readonly messageCount?: number;
  /** Failure bound for one wait (not a delay: waits end as soon as their signal arrives). Default 60 s. */
  readonly patienceMs?: number;
  /** Ack wait used by tests that rely on redelivery after an ack timeout. Default 1 s. */
  readonly ackWaitMs?: number;
}

/** True when `CONFORMANCE_SHORT=1`: small message counts for a quick run. */
export function isShortConformanceRun(): boolean {
  return process.env['CONFORMANCE_SHORT'] === '1';
}

/** The message count bulk tests use unless the runner passes one. */
export function conformanceMessageCount(): number {
  const configured = Number(process.env['CONFORMANCE_MESSAGE_COUNT']);
  if (Number.isInteger(configured) && configured > 0) return configured;
  return isShortConformanceRun() ? 50 : 5_000;
}

/**
 * Registers the conformance tests for one adapter as a Jest `describe` block.
 *
 * @param name shown in the test names, e.g. `'JetStream'`.
 * @param factory called once per test for a fresh, isolated broker namespace.
 * @param features what the adapter guarantees; the rest is skipped.
 */
export function runPubSubConformance(
  name: string,
  factory: PubSubFactory,
  features: PubSubFeatures,
  options: PubSubConformanceOptions = {},
): void {
  const count = options.messageCount ?? conformanceMessageCount();
  const short = isShortConformanceRun();
  const patience = options.patienceMs ?? 60_000;
  const ackWaitMs = options.ackWaitMs ?? 1_000;
  // Jest's own timeout sits above the waits' bounds, so a stuck test fails with our message, not Jest's.
  const jestTimeout = patience * 3;

  /** Registers a test that gets a fresh broker and always cleans up after itself. */
  const conformanceTest = (
    testName: string,
    enabled: boolean,
    body: (t: TestRun) => Promise<void>,
    { restartable = false } = {},
  ) => {
    (enabled ? test : test.skip)(
      testName,
      async () => {
        const broker = await factory({ testName, restartable });
        const run = new TestRun(broker, patience, features);
        try {
          await body(run);
        } finally {
          await run.dispose();
        }
      },
      jestTimeout,
    );
  };

  describe(`${name} pub/sub conformance (${count} messages per bulk test)`, () => {
    conformanceTest('delivers every message with its payload and headers intact', true, async (t) => {
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
      const got = new Deliveries();
      await t.arrange(
        () => publishAll(t.broker.publisher, messages),
        () => t.subscribe(t.broker.subscriber, { group: 'intact', subject }, got.handler()),
      );
      await got.untilAll(messages, patience);

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
    });

    conformanceTest(
      'shares one group between many concurrent subscribers and loses nothing',
      features.consumerGroups,
      async (t) => {
        const subject = t.subject('concurrent');
        const replicas = short ? 3 : 10;
        const messages = makeMessages(subject, count);
        const got = new Deliveries();
        await Promise.all(
          Array.from({ length: replicas }, async (_, i) => {
            const client = await t.connect();
            await t.subscribe(client.subscriber, { group: 'workers', subject }, got.handler(`replica-${i}`));
          }),
        );
        await publishAll(t.broker.publisher, messages);
        await got.untilAll(messages, patience);
        t.expectNoDuplicates(got);
        // A group shares; it does not broadcast. (Loose bound: redeliveries may add a few duplicates.)
        expect(got.all.length).toBeLessThan(2 * count);
      },
    );

    conformanceTest('serves many subjects at once, each to its own subscribers', true, async (t) => {
      const subjectCount = short ? 5 : 20;
      const perSubject = Math.ceil(count / subjectCount);
      const topics = Array.from({ length: subjectCount }, (_, i) => {
        const subject = t.subject('topics', `topic${i}`);
        return { subject, messages: makeMessages(subject, perSubject), got: new Deliveries() };
      });
      await Promise.all(
        topics.map(({ subject, got }, i) => t.subscribe(t.broker.subscriber, { group: `topic-${i}`, subject }, got.handler())),
      );
      // Interleaved, so every subject is busy at the same time.
      const interleaved = Array.from({ length: perSubject }, (_, n) => topics.map((topic) => topic.messages[n])).flat();
      await publishAll(t.broker.publisher, interleaved);

      await Promise.all(topics.map(({ messages, got }) => got.untilAll(messages, patience)));
      for (const { subject, got } of topics) {
        expect(got.all.filter((d) => d.message.subject !== subject).map((d) => d.message.subject)).toEqual([]);
      }
    });

    conformanceTest('redelivers a message whose handler threw', true, async (t) => {
      const subject = t.subject('resend');
      const messages = makeMessages(subject, 20);
      const failing = new Set(messages.filter((_, i) => i % 2 === 0).map((m) => m.id));
      const attempts = new Deliveries();
      const processed = new Deliveries();
      await t.subscribe(t.broker.subscriber, { group: 'resend', subject }, async (message) => {
        attempts.record(message);
        // Fails the first two deliveries: this also checks that deliveryCount really counts.
        if (failing.has(message.id) && message.deliveryCount <= 2) throw new Error('simulated handler failure');
        processed.record(message);
      });
      await publishAll(t.broker.publisher, messages);
      await processed.untilAll(messages, patience);

      for (const id of failing) {
        expect(attempts.countOf(id)).toBeGreaterThanOrEqual(3);
        expect(processed.first(id).deliveryCount).toBeGreaterThanOrEqual(3);
      }
    });

    conformanceTest('redelivers after the delay a retry outcome asked for', true, async (t) => {
      const subject = t.subject('retry');
      const delayMs = 500;
      const [message] = makeMessages(subject, 1);
      const attempts = new Deliveries();
      await t.subscribe(t.broker.subscriber, { group: 'retry', subject }, async (received) => {
        attempts.record(received);
        return received.deliveryCount === 1 ? retryAfter(delayMs) : undefined;
      });
      await t.broker.publisher.publish(message);
      await attempts.until(() => 'a second delivery', () => attempts.all.length >= 2, patience);

      const [first, second] = attempts.all;
      expect(second.message.deliveryCount).toBe(2);
      // A lower bound only (10% slack for clocks): later is fine, earlier breaks the contract.
      expect(second.at - first.at).toBeGreaterThanOrEqual(delayMs * 0.9);
    });

    conformanceTest(
      'redelivers after the ack wait when a handler never settles',
      features.redeliveryOnAckTimeout,
      async (t) => {
        const subject = t.subject('noack');
        const [message] = makeMessages(subject, 1);
        const stuck = t.deferredReleasedOnDispose();
        const attempts = new Deliveries();
        // A unique key per delivery turns off per-key ordering, so the second slot can take the
        // redelivery while the first attempt is still stuck (as another replica would).
        const options: SubscriptionOptions = { group: 'noack', subject, ackWaitMs, maxInFlight: 2, orderingKey: () => randomUUID() };
        await t.subscribe(t.broker.subscriber, options, async (received) => {
          attempts.record(received);
          if (received.deliveryCount === 1) await stuck.promise;
        });
        await t.broker.publisher.publish(message);
        await attempts.until(() => 'a redelivery after the ack wait', () => attempts.all.length >= 2, patience);

        const [first, again] = attempts.all;
        expect(again.message.id).toBe(message.id);
        expect(again.message.deliveryCount).toBeGreaterThanOrEqual(2);
        expect(again.at - first.at).toBeGreaterThanOrEqual(ackWaitMs * 0.9);
      },
    );

    conformanceTest('loses nothing when subscriptions close mid-stream', features.persistent, async (t) => {
      const subject = t.subject('resume');
      const batches = short ? 2 : 5;
      const batchSize = Math.ceil(count / batches);
      const messages = makeMessages(subject, count, (i) => ({ headers: { [Headers.AggregateId]: `aggregate-${i % 8}` } }));
      await publishAll(t.broker.publisher, messages);

      const handled = new Deliveries();
      for (let round = 1; handled.uniqueCount < count; round++) {
        if (round > batches * 4) throw new Error(`still missing ${count - handled.uniqueCount} messages after ${round - 1} rounds`);
        // A fresh client per round, like a replica restarting between batches.
        const client = await t.connect();
        const target = Math.min(count, handled.uniqueCount + batchSize);
        const subscription = await t.subscribe(
          client.subscriber,
          { group: 'resume', subject, maxInFlight: 4, ackWaitMs },
          handled.handler(`round-${round}`),
        );
        await handled.until(() => `${target} handled messages`, () => handled.uniqueCount >= target, patience);
        await subscription.close();
        await client.close();
      }
      expect(handled.missing(messages)).toEqual([]);
    });

    conformanceTest(
      'closes many subscriptions concurrently without losing or starting messages',
      features.persistent && features.consumerGroups,
      async (t) => {
        const subject = t.subject('concurrent-close');
        const replicas = short ? 3 : 10;
        const messages = makeMessages(subject, count, (i) => ({ headers: { [Headers.AggregateId]: `aggregate-${i % 16}` } }));
        const handled = new Deliveries();
        // Once close() is called, no new handler may start: only those already running finish.
        const closing = new Set<string>();
        const startedAfterClose: string[] = [];
        const subscriptions = await Promise.all(
          Array.from({ length: replicas }, async (_, i) => {
            const label = `replica-${i}`;
            const client = await t.connect();
            return t.subscribe(client.subscriber, { group: 'closing', subject, maxInFlight: 4, ackWaitMs }, async (message) => {
              if (closing.has(label)) startedAfterClose.push(`${label}: ${message.id}`);
              // Handlers that take a moment, as real ones do, so close() finds work running and queued.
              await yieldTimes(1 + Math.floor(Math.random() * 3));
              handled.record(message, label);
            });
          }),
        );
        await publishAll(t.broker.publisher, messages);
        await handled.until(() => 'a quarter of the messages', () => handled.uniqueCount >= count / 4, patience);

        // All at once, mid-stream, and one of them twice: close must be safe to call concurrently.
        subscriptions.forEach((_, i) => closing.add(`replica-${i}`));
        await Promise.all([...subscriptions.map((subscription) => subscription.close()), subscriptions[0].close()]);
        await t.subscribe(t.broker.subscriber, { group: 'closing', subject, maxInFlight: 4, ackWaitMs }, handled.handler('survivor'));
        await handled.untilAll(messages, patience);
        expect(startedAfterClose).toEqual([]);
      },
    );

    conformanceTest('keeps consuming after handler errors', features.persistent, async (t) => {
      const subject = t.subject('errors');
      const messages = makeMessages(subject, 50);
      const rounds = short ? 1 : 3;
      const failuresPerRound = short ? 10 : 100;
      await publishAll(t.broker.publisher, messages);

      for (let round = 0; round < rounds; round++) {
        const client = await t.connect();
        const failures = new Deliveries();
        // Alternate the two ways of refusing a message: throwing, and asking for a retry.
        const subscription = await t.subscribe(client.subscriber, { group: 'stubborn', subject, ackWaitMs }, async (message) => {
          failures.record(message);
          if (round % 2 === 1) return retryAfter(20);
          throw new Error('simulated handler failure');
        });
        await failures.until(() => `${failuresPerRound} failed deliveries`, () => failures.all.length >= failuresPerRound, patience);
        await subscription.close();
        await client.close();
      }

      const handled = new Deliveries();
      await t.subscribe(t.broker.subscriber, { group: 'stubborn', subject, ackWaitMs }, handled.handler());
      await handled.untilAll(messages, patience);
    });

    conformanceTest('keeps the order per key while handling keys in parallel', features.orderedPerKey, async (t) => {
      const subject = t.subject('ordered');
      const maxInFlight = 8;
      const messages = makeMessages(subject, count, (i) => ({
        headers: { [Headers.AggregateId]: `aggregate-${i % 16}`, 'Test-Partition': `partition-${i % 5}` },
      }));
      // Two groups over the same messages: one keyed by the default (the aggregate id), one by a
      // custom orderingKey, so both ways of choosing the key are held to the same promise.
      const groups = [
        { group: 'by-aggregate', keyOf: (h: MessageHeaders) => h[Headers.AggregateId], orderingKey: undefined },
        { group: 'by-partition', keyOf: (h: MessageHeaders) => h['Test-Partition'], orderingKey: (h: MessageHeaders) => h['Test-Partition'] },
      ].map((spec) => ({ ...spec, got: new Deliveries(), running: new Set<string>(), overlaps: [] as string[], peak: 0 }));

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
        await g.got.untilAll(messages, patience);
        expect(g.overlaps).toEqual([]);
        expect(g.peak).toBeLessThanOrEqual(maxInFlight);
        const expectedByKey = groupBy(messages.map((m) => m.id), (id, i) => g.keyOf(messages[i].headers));
        const handledByKey = groupBy(g.got.firstSeenOrder(), (id) => g.keyOf(g.got.first(id).headers));
        expect(handledByKey).toEqual(expectedByKey);
      }
    });

    conformanceTest('loses nothing from many parallel publishers that then disconnect', true, async (t) => {
      const subject = t.subject('publishers');
      const messages = makeMessages(subject, count);
      const got = new Deliveries();
      await t.subscribe(t.broker.subscriber, { group: 'collector', subject }, got.handler());
      // A separate client that publishes from 20 concurrent loops, then goes away right after the
      // last publish resolved: a resolved publish must already be durable.
      const client = await t.connect();
      await publishAll(client.publisher, messages, 20);
      await client.close();
      await got.untilAll(messages, patience);
    });

    conformanceTest('isolates subjects and honours * and > wildcards', true, async (t) => {
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
        got: new Deliveries(),
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
        await g.got.untilAll(g.expected, patience);
        // Delivery follows publish order, so anything wrongly matched would have arrived by now.
        const expectedIds = new Set(g.expected.map((m) => m.id));
        const strays = g.got.all.filter((d) => !expectedIds.has(d.message.id)).map((d) => d.message.subject);
        expect({ filter: g.filter, strays }).toEqual({ filter: g.filter, strays: [] });
      }
    });

    conformanceTest(
      'gives every group every message and shares it between the replicas of a group',
      features.consumerGroups,
      async (t) => {
        const subject = t.subject('groups');
        const messages = makeMessages(subject, 100);
        const groups = ['billing', 'shipping'].map((group) => ({ group, got: new Deliveries() }));

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
                  await within(firsts[1 - replica].promise, patience, () => `replica ${1 - replica} of ${group} never got a message: the group is not shared`);
                }
                got.record(message, `replica-${replica}`);
              });
            }
          }
        };
        await t.arrange(() => publishAll(t.broker.publisher, messages), subscribeReplicas);

        for (const { got } of groups) {
          await got.untilAll(messages, patience);
          expect(new Set(got.all.map((d) => d.by))).toEqual(new Set(['replica-0', 'replica-1']));
          // Shared, not broadcast: a message reaches both replicas only as an occasional redelivery.
          const handledByBoth = messages.filter((m) => new Set(got.all.filter((d) => d.message.id === m.id).map((d) => d.by)).size > 1);
          expect(handledByBoth.length).toBeLessThan(messages.length / 2);
        }
      },
    );

    conformanceTest(
      'replays history to a new group, resumes a returning group, and skips history for deliverFrom new',
      features.persistent && features.newGroupReplaysHistory,
      async (t) => {
        const subject = t.subject('history');
        const [m1, m2, m3, m4] = makeMessages(subject, 4);
        const first = new Deliveries();
        const second = new Deliveries();
        const latecomer = new Deliveries();

        await t.broker.publisher.publish(m1);
        const firstSubscription = await t.subscribe(t.broker.subscriber, { group: 'first', subject, deliverFrom: 'all' }, first.handler('session-1'));
        await first.untilAll([m1], patience);

        await t.broker.publisher.publish(m2);
        await first.untilAll([m2], patience);
        await t.subscribe(t.broker.subscriber, { group: 'second', subject, deliverFrom: 'all' }, second.handler());
        await second.untilAll([m1, m2], patience);

        // The group comes back after a restart: it must continue after m2, not start over.
        await firstSubscription.close();
        await t.broker.publisher.publish(m3);
        await t.subscribe(t.broker.subscriber, { group: 'first', subject, deliverFrom: 'all' }, first.handler('session-2'));
        await first.untilAll([m3], patience);
        expect(first.all.filter((d) => d.by === 'session-2').map((d) => d.message.id)).toEqual([m3.id]);

        // A new group that asks for new messages only never sees m1..m3.
        await t.subscribe(t.broker.subscriber, { group: 'latecomer', subject, deliverFrom: 'new' }, latecomer.handler());
        await t.broker.publisher.publish(m4);
        await latecomer.untilAll([m4], patience);
        expect(latecomer.all.map((d) => d.message.id)).toEqual([m4.id]);
      },
    );

    conformanceTest(
      'bounds close by its timeout when a handler hangs, and the message is not lost',
      features.consumerGroups && features.redeliveryOnAckTimeout,
      async (t) => {
        const subject = t.subject('hang');
        // More than one message: the ones queued behind the stuck handler must not hold up close either.
        const messages = makeMessages(subject, 3);
        const stuck = t.deferredReleasedOnDispose();
        const hung = new Deliveries();
        const client = await t.connect();
        const subscription = await t.subscribe(client.subscriber, { group: 'hang', subject, ackWaitMs }, async (message) => {
          hung.record(message);
          await stuck.promise;
        });
        await publishAll(t.broker.publisher, messages);
        await hung.until(() => 'the first delivery', () => hung.all.length >= 1, patience);

        const closeTimeoutMs = 300;
        const started = Date.now();
        await within(subscription.close(closeTimeoutMs), patience, () => `close(${closeTimeoutMs}) did not return while a handler hung`);
        expect(Date.now() - started).toBeLessThan(closeTimeoutMs + 2_000);

        const rescued = new Deliveries();
        await t.subscribe(t.broker.subscriber, { group: 'hang', subject, ackWaitMs }, rescued.handler('rescuer'));
        await rescued.untilAll(messages, patience);
        expect(rescued.first(hung.all[0].message.id).deliveryCount).toBeGreaterThanOrEqual(2);
      },
    );

    conformanceTest('drops a second publish of the same message id', features.deduplicatesPublishes, async (t) => {
      const subject = t.subject('dedup');
      const [original, fence] = makeMessages(subject, 2);
      await t.broker.publisher.publish(original);
      // The retry of a publish whose ack got lost: same id. (Even with a different payload, the first one wins.)
      await t.broker.publisher.publish({ ...original, payload: new TextEncoder().encode('second copy') });
      await t.broker.publisher.publish(fence);

      const got = new Deliveries();
      await t.subscribe(t.broker.subscriber, { group: 'dedup', subject }, got.handler());
      // Delivery follows publish order: once the fence is here, a stored duplicate would be too.
      await got.untilAll([fence], patience);
      expect(got.all.map((d) => d.message.id)).toEqual([original.id, fence.id]);
      expect(Buffer.from(got.all[0].message.payload).equals(Buffer.from(original.payload))).toBe(true);
    });

    conformanceTest(
      'loses nothing when the broker restarts mid-stream',
      features.reconnect,
      async (t) => {
        const subject = t.subject('reconnect');
        const messages = makeMessages(subject, count, (i) => ({ headers: { [Headers.AggregateId]: `aggregate-${i % 16}` } }));
        const got = new Deliveries();
        await t.subscribe(t.broker.subscriber, { group: 'survivor', subject, maxInFlight: 8, ackWaitMs }, got.handler());

        // Restart the broker twice while publishing and consuming are in full swing. Chained, so
        // that two restart points hit close together still make two restarts, one after the other.
        const restartAt = new Set([Math.floor(count / 3), Math.floor(count / 2)]);
        let restarts = Promise.resolve();
        let started = 0;
        const publishRetrying = async (message: OutgoingMessage) => {
          if (restartAt.has(started++)) restarts = restarts.then(() => t.restartBroker());
          await publishWithRetry(t.broker.publisher, message, patience);
        };
        await runConcurrently(messages, 20, publishRetrying);
        await restarts;
        await got.untilAll(messages, patience);
      },
      { restartable: true },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Test plumbing
// ---------------------------------------------------------------------------------------------

/** One test's broker plus everything the test opened, so it can all be closed whatever happens. */
class TestRun {
  private readonly subscriptions: Subscription[] = [];
  private readonly clients: ClosablePubSubClient[] = [];
  private readonly releases: Array<() => void> = [];

  constructor(
    readonly broker: PubSubUnderTest,
    private readonly patience: number,
    private readonly features: PubSubFeatures,
  ) {}

  /** A subject under the test's root: `subject('a', 'b')` → `<root>.a.b`. */
  subject(...tokens: string[]): string {
    return [this.broker.subjectRoot, ...tokens].join('.');
  }

  async subscribe(subscriber: Subscriber, options: SubscriptionOptions, handler: MessageHandler): Promise<Subscription> {
    const subscription = await subscriber.subscribe(options, handler);
    this.subscriptions.push(subscription);
    return subscription;
  }

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

  async dispose(): Promise<void> {
    for (const release of this.releases) release();
    // Subscriptions first (their handlers may still be running), then the clients, then the broker.
    await Promise.allSettled(this.subscriptions.map((subscription) => subscription.close(2_000)));
    await Promise.allSettled(this.clients.map((client) => client.close()));
    await within(this.broker.close(), this.patience, () => 'the broker did not close');
  }
}

interface Delivery {
  readonly message: ReceivedMessage;
  /** Which subscription handled it (a label the test chose). */
  readonly by: string;
  /** When the handler saw it (ms since epoch). */
  readonly at: number;
}

/** Records what handlers saw and lets a test wait for exactly the signal it needs. */
class Deliveries {
  readonly all: Delivery[] = [];
  private readonly firstById = new Map<string, ReceivedMessage>();
  private readonly counts = new Map<string, number>();
  private readonly watchers = new Set<(latest: ReceivedMessage) => void>();

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

  /** Resolves once every expected id was handled; rejects after `timeoutMs` saying how many are missing. */
  untilAll(expected: ReadonlyArray<{ id: string }>, timeoutMs: number): Promise<void> {
    const remaining = new Set(expected.map((m) => m.id).filter((id) => !this.firstById.has(id)));
    return this.until(
      () => `${expected.length} messages (${remaining.size} still missing, e.g. ${[...remaining].slice(0, 3).join(', ')})`,
      (latest) => {
        if (latest) remaining.delete(latest.id);
        return remaining.size === 0;
      },
      timeoutMs,
    );
  }

  /** Resolves as soon as `done()` holds after a delivery; the timeout is only a failure bound. */
  until(describeGoal: () => string, done: (latest?: ReceivedMessage) => boolean, timeoutMs: number): Promise<void> {
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
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${describeGoal()}; ${this.all.length} deliveries so far`));
      }, timeoutMs);
      this.watchers.add(watcher);
    });
  }
}

interface Deferred<T> {
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

function makeMessages(
  subject: string,
  count: number,
  shape: (i: number) => { payload?: Uint8Array; headers?: MessageHeaders } = () => ({}),
): OutgoingMessage[] {
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
