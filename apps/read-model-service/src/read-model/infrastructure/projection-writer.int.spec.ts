import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { AccountDeletionRequestedV1 } from '@eventshop/contracts';
import { EventBus, Inbox, topologyFor } from '@eventshop/messaging';
import { createReadModelDatabase } from '../../testing/service.fixture.js';
import { at, envelope, fixturePersonalData, seededRandom, shuffledWithDuplicates, userHistory } from '../../testing/history.fixture.js';
import { PROJECT_READ_MODEL, ProjectEventsHandler } from '../../project-events/project-events.handler.js';
import type { ProjectedEvent } from '../domain/projected-event.js';
import { ProjectionWriter } from './projection-writer.js';
import { ReadModelRepository } from './read-model.repository.js';
import { LIVE_SCHEMA } from './projection-tables.js';

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
});
