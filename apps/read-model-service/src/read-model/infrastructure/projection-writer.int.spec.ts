import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import { AccountDeletionRequestedV1, OrderCancelledV1, OrderPlacedV1 } from '@eventshop/contracts';
import { EventBus, Inbox, topologyFor } from '@eventshop/messaging';
import { eventually } from '@eventshop/messaging/testing';
import { createReadModelDatabase } from '../../testing/service.fixture.js';
import { at, envelope, fixturePersonalData, seededRandom, shuffledWithDuplicates, userHistory } from '../../testing/history.fixture.js';
import { PROJECT_READ_MODEL, ProjectEventsHandler } from '../../project-events/project-events.handler.js';
import type { ProjectableEvent, ProjectedEvent } from '../domain/projected-event.js';
import { ProjectionWriter } from './projection-writer.js';
import { ReadModelRepository } from './read-model.repository.js';
import { LIVE_SCHEMA } from './projection-tables.js';
import { excludeLiveProjection } from './schema-swap-lock.js';

describe('projecting into PostgreSQL: duplicated and reordered deliveries (no bus)', () => {
  let db: Awaited<ReturnType<typeof createReadModelDatabase>>;
  let dataSource: DataSource;
  let handler: ProjectEventsHandler;
  let inbox: Inbox;
  let writer: ProjectionWriter;
  let readModel: ReadModelRepository;

  beforeAll(async () => {
    db = await createReadModelDatabase();
    dataSource = db.dataSource;
    writer = new ProjectionWriter(fixturePersonalData);
    handler = new ProjectEventsHandler(writer, new EventBus('read-model-service', topologyFor('')));
    inbox = new Inbox(dataSource);
    readModel = new ReadModelRepository(dataSource);
  });
  afterAll(() => db.drop());

  beforeEach(async () => {
    await dataSource.query(`TRUNCATE ${LIVE_SCHEMA}.users, ${LIVE_SCHEMA}.orders, ${LIVE_SCHEMA}.timeline_entries, ${LIVE_SCHEMA}.forgotten_users, inbox_messages, outbox_messages`);
  });

  /** Projects a delivery as the live consumer does: once per event, through its inbox. */
  const project = (delivery: ProjectedEvent) => handler.execute(delivery, inbox.once({ handler: PROJECT_READ_MODEL, eventId: delivery.event.id }));

  const answersFor = async (userId: string) => ({
    overview: await readModel.findUserOverview(userId),
    orders: await readModel.findUserOrders(userId),
    timeline: await readModel.findUserTimeline(userId),
  });

  it.each([1, 2, 3])('ends in the right state for shuffled deliveries with repeats (seed %i)', async (seed) => {
    const ann = userHistory();
    const bob = userHistory();
    const stream: ProjectedEvent[] = [...ann.events, ...bob.events].map((event, index) => ({ event, streamSequence: index + 1 }));
    const deliveries = shuffledWithDuplicates(stream, seededRandom(seed));

    const outcomes = [];
    for (const delivery of deliveries) outcomes.push((await project(delivery)).projected);

    // The inbox let each event through once and skipped every repeat.
    expect(outcomes.filter(Boolean)).toHaveLength(stream.length);
    expect(await answersFor(ann.userId)).toEqual(ann.expected);
    expect(await answersFor(bob.userId)).toEqual(bob.expected);
  });

  it('is idempotent without the inbox too (a rebuild overlapping the live consumer)', async () => {
    const ann = userHistory();
    const stream: ProjectedEvent[] = ann.events.map((event, index) => ({ event, streamSequence: index + 1 }));
    for (const delivery of [...stream, ...[...stream].reverse()]) {
      await dataSource.transaction((transaction) => writer.apply(transaction, LIVE_SCHEMA, delivery));
    }
    expect(await answersFor(ann.userId)).toEqual(ann.expected);
  });

  it('keeps the order totals right when one user’s events are projected concurrently', async () => {
    const ann = userHistory();
    const deliveries = ann.events.map((event, index) => ({ event, streamSequence: index + 1 }));
    await Promise.all(deliveries.map((delivery) => project(delivery)));
    expect(await readModel.findUserOverview(ann.userId)).toEqual(ann.expected.overview);
  });

  it('keeps an event stored twice in the stream once in the timeline, at its first position', async () => {
    const ann = userHistory();
    const signUp = ann.events[0];
    await dataSource.transaction((tx) => writer.apply(tx, LIVE_SCHEMA, { event: signUp, streamSequence: 9 }));
    await dataSource.transaction((tx) => writer.apply(tx, LIVE_SCHEMA, { event: signUp, streamSequence: 4 }));
    await dataSource.transaction((tx) => writer.apply(tx, LIVE_SCHEMA, { event: signUp, streamSequence: 12 }));
    const rows: Array<{ stream_sequence: string }> = await dataSource.query(
      `SELECT stream_sequence FROM ${LIVE_SCHEMA}.timeline_entries WHERE event_id = $1`,
      [signUp.id],
    );
    expect(rows).toEqual([{ stream_sequence: '4' }]);
  });

  it('answers null for a user whose sign-up has not arrived, though their order has', async () => {
    const ann = userHistory();
    const [order] = ann.events.filter((event) => event.type === 'OrderPlaced');
    await project({ event: order, streamSequence: 1 });
    expect(await answersFor(ann.userId)).toEqual({ overview: null, orders: null, timeline: null });
  });

  it('drops every view of a user whose deletion was requested, answers UserViewsDropped, and projects nothing of them after', async () => {
    const ann = userHistory();
    const bob = userHistory();
    const [signUp, ...rest] = ann.events;
    const lateOrder = rest.filter((event) => event.type === 'OrderPlaced').at(-1)!;
    const early = ann.events.filter((event) => event !== lateOrder);
    let sequence = 0;
    for (const event of [...early, ...bob.events]) await project({ event, streamSequence: ++sequence });
    expect((await answersFor(ann.userId)).overview).not.toBeNull();

    const deletion = envelope(AccountDeletionRequestedV1, { userId: ann.userId, requestedAt: at(60), attempt: 1 }, { aggregateId: ann.userId, occurredAt: at(60) });
    await project({ event: deletion, streamSequence: ++sequence });
    // An order that raced the deletion, and a redelivered sign-up, arrive after it.
    await project({ event: lateOrder, streamSequence: ++sequence });
    await dataSource.transaction((tx) => writer.apply(tx, LIVE_SCHEMA, { event: signUp, streamSequence: 1 }));

    expect(await answersFor(ann.userId)).toEqual({ overview: null, orders: null, timeline: null });
    const leftovers: unknown[] = await dataSource.query(
      `SELECT user_id FROM ${LIVE_SCHEMA}.users WHERE user_id = $1 UNION ALL SELECT user_id FROM ${LIVE_SCHEMA}.orders WHERE user_id = $1
       UNION ALL SELECT user_id FROM ${LIVE_SCHEMA}.timeline_entries WHERE user_id = $1`,
      [ann.userId],
    );
    expect(leftovers).toEqual([]);
    // Bob is untouched.
    expect(await answersFor(bob.userId)).toEqual(bob.expected);
    const answers: Array<{ subject: string; payload: { data: { userId: string } } }> = await dataSource.query(
      `SELECT subject, payload FROM outbox_messages WHERE subject = 'events.read-model.user-views-dropped.v1'`,
    );
    expect(answers.map((row) => row.payload.data.userId)).toEqual([ann.userId]);
  });
  describe('round trips: one statement each, and what the folded statements still guarantee', () => {
    /**
     * Every statement sent to PostgreSQL while `work` runs, START TRANSACTION and COMMIT included:
     * one round trip each, which is what an event costs (bench:shop), far more than the SQL itself.
     */
    async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
      const statements: string[] = [];
      const counter: EntitySubscriberInterface = { beforeQuery: ({ query }) => void statements.push(query.replace(/\s+/g, ' ').trim()) };
      dataSource.subscribers.push(counter);
      try {
        await work();
      } finally {
        dataSource.subscribers.splice(dataSource.subscribers.indexOf(counter), 1);
      }
      return statements;
    }

    const signedUp = async (): Promise<string> => {
      const ann = userHistory();
      await project({ event: ann.events[0]!, streamSequence: 1 });
      return ann.userId;
    };
    const placed = (userId: string, orderId: string, totalCents: number, second: number) =>
      envelope(
        OrderPlacedV1,
        { orderId, userId, items: [{ sku: 'MUG', quantity: 1, unitPriceCents: totalCents }], totalCents, placedAt: at(second), orderVersion: 1 },
        { aggregateId: orderId, occurredAt: at(second) },
      );
    const cancelled = (userId: string, orderId: string, totalCents: number, second: number) =>
      envelope(OrderCancelledV1, { orderId, userId, totalCents, cancelledAt: at(second), orderVersion: 2 }, { aggregateId: orderId, occurredAt: at(second) });
    const totalsOf = async (userId: string) => {
      const overview = await readModel.findUserOverview(userId);
      return { orderCount: overview?.orderCount, totalSpentCents: overview?.totalSpentCents };
    };
    let sequence = 100;
    const projectAll = async (events: readonly ProjectableEvent[]) => {
      for (const event of events) await project({ event, streamSequence: ++sequence });
    };

    it('projects an order event in 7 round trips, transaction and inbox claim included', async () => {
      const userId = await signedUp();
      const orderId = randomUUID();
      // START TRANSACTION, inbox claim, both locks, timeline entry (unless forgotten), load the order,
      // store the order with its user's totals, COMMIT.
      expect(await statementsOf(() => project({ event: placed(userId, orderId, 1200, 10), streamSequence: 2 }))).toHaveLength(7);
      expect(await statementsOf(() => project({ event: cancelled(userId, orderId, 1200, 20), streamSequence: 3 }))).toHaveLength(7);
      expect(await totalsOf(userId)).toEqual({ orderCount: 0, totalSpentCents: 0 });
    });

    it('keeps the totals right for place, place, cancel of one user, and for those delivered twice and out of order', async () => {
      const userId = await signedUp();
      const [first, second] = [randomUUID(), randomUUID()];
      const history = [placed(userId, first, 1500, 10), placed(userId, second, 700, 20), cancelled(userId, first, 1500, 30)];
      await projectAll(history.slice(0, 1));
      expect(await totalsOf(userId)).toEqual({ orderCount: 1, totalSpentCents: 1500 });
      await projectAll(history.slice(1, 2));
      expect(await totalsOf(userId)).toEqual({ orderCount: 2, totalSpentCents: 2200 });
      await projectAll(history.slice(2));
      expect(await totalsOf(userId)).toEqual({ orderCount: 1, totalSpentCents: 700 });

      // Another user, the same kind of history delivered out of order with repeats, past the inbox
      // (as a rebuild overlapping the live consumer writes): the cancellation before its placement.
      const bob = await signedUp();
      const [third, fourth] = [randomUUID(), randomUUID()];
      const shuffled = [cancelled(bob, third, 900, 30), placed(bob, fourth, 400, 20), placed(bob, third, 900, 10), cancelled(bob, third, 900, 30)];
      for (const event of [...shuffled, ...shuffled]) {
        await dataSource.transaction((transaction) => writer.apply(transaction, LIVE_SCHEMA, { event, streamSequence: ++sequence }));
      }
      expect(await totalsOf(bob)).toEqual({ orderCount: 1, totalSpentCents: 400 });
      expect((await readModel.findUserOrders(bob))?.map(({ id, status }) => ({ id, status }))).toEqual([
        { id: fourth, status: 'placed' },
        { id: third, status: 'cancelled' },
      ]);
    });

    /** Backends of this database waiting for an advisory lock, and the advisory locks they hold. */
    const advisoryLocks = async () => {
      const [row] = (await dataSource.query(
        `SELECT count(*) FILTER (WHERE NOT granted)::int AS waiting, count(*) FILTER (WHERE granted)::int AS held
           FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      )) as Array<{ waiting: number; held: number }>;
      return row!;
    };
    const open: QueryRunner[] = [];
    const openTransaction = async (): Promise<QueryRunner> => {
      const runner = dataSource.createQueryRunner();
      open.push(runner);
      await runner.connect();
      await runner.startTransaction();
      return runner;
    };
    afterAll(() => Promise.all(open.map((runner) => runner.release())));

    it('does not project a late order whose user was forgotten while it waited for the user’s lock', async () => {
      const userId = await signedUp();
      // The deletion is projected but not committed yet: it holds the user's lock.
      const deletion = await openTransaction();
      await writer.apply(
        deletion.manager,
        LIVE_SCHEMA,
        { event: envelope(AccountDeletionRequestedV1, { userId, requestedAt: at(60), attempt: 1 }, { aggregateId: userId, occurredAt: at(60) }), streamSequence: 2 },
        { holdOffSchemaSwap: true },
      );
      const lateOrder = project({ event: placed(userId, randomUUID(), 1000, 61), streamSequence: 3 });
      await eventually(async () => ((await advisoryLocks()).waiting === 1 ? true : undefined), 20_000, 'the late order to wait for the user’s lock');
      await deletion.commitTransaction();

      // Its forgotten-user check ran after the lock was granted, so it saw the committed deletion.
      expect(await lateOrder).toEqual({ projected: true });
      const leftovers = (await dataSource.query(
        `SELECT user_id FROM ${LIVE_SCHEMA}.users WHERE user_id = $1 UNION ALL SELECT user_id FROM ${LIVE_SCHEMA}.orders WHERE user_id = $1
         UNION ALL SELECT user_id FROM ${LIVE_SCHEMA}.timeline_entries WHERE user_id = $1`,
        [userId],
      )) as unknown[];
      expect(leftovers).toEqual([]);
    });

    it('waits for a schema swap before taking the user’s lock (the swap’s own replay takes user locks: no deadlock)', async () => {
      const userId = await signedUp();
      const swap = await openTransaction();
      await excludeLiveProjection(swap);
      const order = project({ event: placed(userId, randomUUID(), 1000, 10), streamSequence: 2 });
      await eventually(async () => ((await advisoryLocks()).waiting === 1 ? true : undefined), 20_000, 'the live projection to wait for the swap');
      // Only the swap's lock is held: the live projection has not taken the user's lock before the swap's.
      expect((await advisoryLocks()).held).toBe(1);
      // The swap's replay writes this user (without the swap lock, which it holds exclusively).
      await writer.apply(swap.manager, LIVE_SCHEMA, { event: placed(userId, randomUUID(), 500, 11), streamSequence: 3 });
      await swap.commitTransaction();
      expect(await order).toEqual({ projected: true });
      expect(await totalsOf(userId)).toEqual({ orderCount: 2, totalSpentCents: 1500 });
    });
  });
});
