import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { defineEvent } from '@eventshop/contracts';
import { listenConnectionFrom, OutboxRelay } from './outbox-relay.js';
import { EventBus } from './event-bus.js';
import { JetStreamPublisher } from '../jetstream/jetstream-publisher.js';
import type { Publisher } from '../ports/publisher.js';
import { messageContext } from '../context/message-context.js';
import { createTestBus, createTestDatabase } from '../testing/test-infrastructure.js';

const ThingHappened = defineEvent({
  name: 'ThingHappened',
  version: 1,
  context: 'test',
  schema: z.object({ n: z.number().int() }),
});

describe('OutboxRelay (real Postgres + JetStream)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let bus: Awaited<ReturnType<typeof createTestBus>>;
  let dataSource: DataSource;
  let jsm: JetStreamManager;
  let publisher: JetStreamPublisher;
  let events: EventBus;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = db.dataSource;
    bus = await createTestBus();
    jsm = await jetstreamManager(bus.connection);
    publisher = new JetStreamPublisher(jetstream(bus.connection));
    events = new EventBus('test-service', bus.topology);
  });

  afterAll(async () => {
    await bus.close();
    await db.drop();
  });

  beforeEach(async () => {
    await dataSource.query('TRUNCATE outbox_messages');
    await jsm.streams.purge(bus.topology.eventsStream);
  });

  const stage = (n: number, aggregateId = 'agg') =>
    dataSource.transaction((tx) => events.publish(tx, ThingHappened, { n }, { aggregateId }));

  const pendingRows = async (): Promise<number> =>
    (await dataSource.query(`SELECT count(*)::int AS n FROM outbox_messages WHERE published_at IS NULL`))[0].n;

  /**
   * Relays until the outbox is empty. A single pass may legitimately publish nothing while some
   * other transaction on this PostgreSQL server is in flight (the xmin guard), so loop on the real
   * condition, bounded in time.
   */
  async function drain(relay: OutboxRelay, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await pendingRows()) > 0) {
      if (Date.now() > deadline) throw new Error('outbox not drained in time');
      if ((await relay.relayOnce()) === 0) await new Promise((r) => setTimeout(r, 10));
    }
  }

  async function streamedNumbers(): Promise<number[]> {
    const info = await jsm.streams.info(bus.topology.eventsStream);
    const numbers: number[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const stored = await jsm.streams.getMessage(bus.topology.eventsStream, { seq });
      if (stored) numbers.push((stored.json() as { data: { n: number } }).data.n);
    }
    return numbers;
  }

  it('publishes committed events in order, with their id as the dedup id, and marks them', async () => {
    for (let n = 1; n <= 5; n++) await stage(n);
    const relay = new OutboxRelay(dataSource, publisher, { batchSize: 3 });
    expect(await relay.relayOnce()).toBeLessThanOrEqual(3);
    await drain(relay);
    expect(relay.published).toBe(5);
    expect(await streamedNumbers()).toEqual([1, 2, 3, 4, 5]);
    expect(await pendingRows()).toBe(0);
    const stored = await jsm.streams.getMessage(bus.topology.eventsStream, { seq: 1 });
    const [{ event_id }] = await dataSource.query(`SELECT event_id FROM outbox_messages ORDER BY id LIMIT 1`);
    expect(stored?.header.get('Nats-Msg-Id')).toBe(event_id);
  });

  it('never overtakes a transaction that is still open: a late commit is published first, not skipped', async () => {
    const slow = dataSource.createQueryRunner();
    await slow.connect();
    await slow.startTransaction();
    // The slow transaction takes the lower id and a lower transaction id, but commits last.
    await events.publish(slow.manager, ThingHappened, { n: 1 }, { aggregateId: 'agg' });
    await stage(2);

    const relay = new OutboxRelay(dataSource, publisher);
    expect(await relay.relayOnce()).toBe(0);

    await slow.commitTransaction();
    await slow.release();
    await drain(relay);
    expect(await streamedNumbers()).toEqual([1, 2]);
  });

  it('republishing after a crash between publish and mark creates no duplicate in the stream', async () => {
    for (let n = 1; n <= 3; n++) await stage(n);
    // Publishes for real, then "crashes" before the rows are marked.
    const crashing: Publisher = {
      async publish(message) {
        await publisher.publish(message);
        throw new Error('crash after publish');
      },
    };
    const crashed = new OutboxRelay(dataSource, crashing);
    while ((await streamedNumbers()).length < 3) await crashed.relayOnce();
    expect(crashed.published).toBe(0);
    expect(await pendingRows()).toBe(3);
    await drain(new OutboxRelay(dataSource, publisher));
    expect(await streamedNumbers()).toEqual([1, 2, 3]);
  });

  it('two relays running together publish every row exactly once', async () => {
    const total = 400;
    await dataSource.transaction(async (tx) => {
      for (let n = 1; n <= total; n++) await events.publish(tx, ThingHappened, { n }, { aggregateId: `agg-${n % 7}` });
    });
    const relays = [new OutboxRelay(dataSource, publisher, { batchSize: 50 }), new OutboxRelay(dataSource, publisher, { batchSize: 50 })];
    await Promise.all(relays.map((relay) => drain(relay)));
    const numbers = await streamedNumbers();
    expect(numbers).toHaveLength(total);
    expect(new Set(numbers).size).toBe(total);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(relays[0]!.published + relays[1]!.published).toBe(total);
  });

  it('carries correlation, causation and trace context from the current context into headers', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await messageContext.run({ correlationId: 'corr-7', causationId: 'cause-1', trace: { traceparent } }, () => stage(1));
    await drain(new OutboxRelay(dataSource, publisher));
    const stored = await jsm.streams.getMessage(bus.topology.eventsStream, { seq: (await jsm.streams.info(bus.topology.eventsStream)).state.first_seq });
    expect(stored?.header.get('Correlation-Id')).toBe('corr-7');
    expect(stored?.header.get('Causation-Id')).toBe('cause-1');
    expect(stored?.header.get('traceparent')).toBe(traceparent);
    expect(stored?.json()).toMatchObject({ correlationId: 'corr-7', causationId: 'cause-1', source: 'test-service' });
  });

  it('is woken by NOTIFY right after a commit when started', async () => {
    const relay = new OutboxRelay(dataSource, publisher, { pollIntervalMs: 60_000, listen: listenConnectionFrom(dataSource) });
    await relay.start();
    try {
      await stage(1);
      // The poll interval is a minute: only the NOTIFY can make this resolve quickly.
      const deadline = Date.now() + 10_000;
      while (relay.published < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(relay.published).toBe(1);
    } finally {
      await relay.stop();
    }
  });

  it('deletes published rows once they are older than the retention period, never pending ones', async () => {
    for (let n = 1; n <= 3; n++) await stage(n);
    const relay = new OutboxRelay(dataSource, publisher, { retentionMs: 60_000 });
    await drain(relay);
    await stage(4); // still pending
    expect(await relay.deleteExpired()).toBe(0); // published just now: kept
    await dataSource.query(`UPDATE outbox_messages SET published_at = now() - interval '2 minutes' WHERE published_at IS NOT NULL`);
    expect(await relay.deleteExpired()).toBe(3);
    expect(await pendingRows()).toBe(1);
  });
});
