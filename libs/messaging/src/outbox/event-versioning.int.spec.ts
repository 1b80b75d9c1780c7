import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { z } from 'zod';
import { defineEvent, type EventOf } from '@eventshop/contracts';
import { EventBus } from './event-bus.js';
import { OutboxRelay } from './outbox-relay.js';
import { JetStreamPublisher } from '../jetstream/jetstream-publisher.js';
import { JetStreamSubscriber } from '../jetstream/jetstream-subscriber.js';
import { namespacedSubject } from '../jetstream/topology.js';
import { decodeJson } from '../message.js';
import { messageContext } from '../context/message-context.js';
import type { Subscription } from '../ports/subscriber.js';
import { createTestBus, createTestDatabase } from '../testing/test-infrastructure.js';

/**
 * The versioning policy, end to end: a breaking change becomes a new version with its own subject;
 * during the migration the owner publishes every fact in both versions (dual publish, in the same
 * transaction), so v1 consumers keep running untouched while v2 consumers start.
 */
const PriceChangedV1 = defineEvent({
  name: 'PriceChanged',
  version: 1,
  context: 'catalog',
  schema: z.strictObject({ sku: z.string(), price: z.number() }), // price in euros, a float
});
const PriceChangedV2 = defineEvent({
  name: 'PriceChanged',
  version: 2,
  context: 'catalog',
  schema: z.strictObject({ sku: z.string(), priceCents: z.number().int(), currency: z.string().length(3) }),
});
type V2Data = z.input<typeof PriceChangedV2.schema>;
const toV1 = (data: V2Data) => ({ sku: data.sku, price: data.priceCents / 100 });

describe('event versioning: dual publish while v1 consumers still run', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let bus: Awaited<ReturnType<typeof createTestBus>>;
  const subscriptions: Subscription[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    bus = await createTestBus();
  });
  afterAll(async () => {
    await Promise.all(subscriptions.map((s) => s.close()));
    await bus.close();
    await db.drop();
  });

  it('gives each version its own subject, and a consumer only accepts its own version', () => {
    expect(PriceChangedV1.subject).toBe('events.catalog.price-changed.v1');
    expect(PriceChangedV2.subject).toBe('events.catalog.price-changed.v2');
    const v2 = PriceChangedV2.create({ sku: 'MUG', priceCents: 1250, currency: 'EUR' }, { correlationId: 'c', source: 's', aggregateId: 'MUG' });
    expect(PriceChangedV1.safeParse(v2).success).toBe(false);
  });

  it('a v1 consumer and a v2 consumer both receive the fact, each in its own shape', async () => {
    const events = new EventBus('catalog-service', bus.topology);
    const js = jetstream(bus.connection);
    const subscriber = new JetStreamSubscriber(js, await jetstreamManager(bus.connection), { stream: bus.topology.eventsStream });
    const received: { v1?: EventOf<typeof PriceChangedV1>; v2?: EventOf<typeof PriceChangedV2> } = {};
    let bothArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (bothArrived = resolve));
    const check = () => received.v1 && received.v2 && bothArrived();
    subscriptions.push(
      await subscriber.subscribe({ group: 'old-consumer', subject: namespacedSubject(bus.topology, PriceChangedV1.subject) }, async (m) => {
        received.v1 = PriceChangedV1.parse(decodeJson(m.payload));
        check();
      }),
      await subscriber.subscribe({ group: 'new-consumer', subject: namespacedSubject(bus.topology, PriceChangedV2.subject) }, async (m) => {
        received.v2 = PriceChangedV2.parse(decodeJson(m.payload));
        check();
      }),
    );

    const change: V2Data = { sku: 'MUG', priceCents: 1250, currency: 'EUR' };
    // As inside an HTTP request: both copies share the request's correlation id.
    await messageContext.run({ correlationId: 'price-update-1', causationId: null, trace: {} }, () =>
      db.dataSource.transaction(async (tx) => {
        await events.publish(tx, PriceChangedV2, change, { aggregateId: 'MUG' });
        // Dual publish during the migration window; removed once no v1 consumer is left.
        await events.publish(tx, PriceChangedV1, toV1(change), { aggregateId: 'MUG' });
      }),
    );
    const relay = new OutboxRelay(db.dataSource, new JetStreamPublisher(bus.connection));
    await relay.start();
    try {
      await arrived;
    } finally {
      await relay.stop();
    }
    expect(received.v1?.data).toEqual({ sku: 'MUG', price: 12.5 });
    expect(received.v2?.data).toEqual({ sku: 'MUG', priceCents: 1250, currency: 'EUR' });
    // Both copies describe the same fact: same correlation, same aggregate.
    expect(received.v1?.correlationId).toBe('price-update-1');
    expect(received.v2?.correlationId).toBe('price-update-1');
  });
});
