// The router with the in-memory adapter: the standard chain, without Nest and without a broker.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { OrderCancelledV1, OrderPlacedV1, UserSignedUpV1, type EventEnvelope } from '@eventshop/contracts';
import type { Middleware } from '../handler.js';
import { DeadLetterHeaders, encodeJson, type ReceivedMessage } from '../message.js';
import { topologyFor } from '../jetstream/topology.js';
import { InMemoryPubSub } from '../memory/in-memory-pubsub.js';
import { eventHeaders } from '../outbox/event-bus.js';
import { Inbox } from '../inbox/inbox.js';
import { consumerGroupName, MessageRouter, subjectOf, type HandlerContext, type MessageRouterOptions } from './message-router.js';

const topology = topologyFor('rt');
let bus: InMemoryPubSub;

beforeEach(() => {
  bus = new InMemoryPubSub();
});
afterEach(() => bus.close());

const routerWith = (options: Partial<MessageRouterOptions> = {}) =>
  new MessageRouter({ serviceName: 'svc', subscriber: bus, publisher: bus, topology, ...options });

function signUp(): EventEnvelope {
  const userId = randomUUID();
  return UserSignedUpV1.create(
    { userId, email: 'ada@example.com', name: 'Ada', newsletterOptIn: true, occurredAt: new Date().toISOString() },
    { correlationId: randomUUID(), source: 'user-service', aggregateId: userId },
  );
}

/** Publishes `body` as an outbox relay would, on `subject` in the router's namespace. */
async function publish(body: unknown, subject = UserSignedUpV1.subject): Promise<void> {
  const headers = typeof body === 'object' && body && 'type' in body ? eventHeaders(body as EventEnvelope) : {};
  await bus.publish({ id: randomUUID(), subject: subject.replace(/^events/, topology.eventsSubjectRoot), payload: encodeJson(body), headers });
}

/** Resolves with the next dead letter parked on the topology's dead-letter subjects. */
async function nextDeadLetter(): Promise<ReceivedMessage> {
  return new Promise((resolve) => {
    void bus.subscribe({ group: randomUUID(), subject: `${topology.deadLetterSubjectRoot}.>` }, async (message) => resolve(message));
  });
}

/** A handler that records its calls and resolves `called` on the first. */
function recording() {
  const calls: Array<{ event: EventEnvelope; context: HandlerContext }> = [];
  let first!: () => void;
  const called = new Promise<void>((resolve) => (first = resolve));
  return {
    calls,
    called,
    handle: async (event: EventEnvelope, context: HandlerContext) => {
      calls.push({ event, context });
      first();
    },
  };
}

describe('MessageRouter', () => {
  it('subscribes a registration as its own consumer group and hands the handler the validated event', async () => {
    const handler = recording();
    await routerWith().subscribe({ handler: 'welcome', contracts: [UserSignedUpV1] }, handler.handle);
    const event = signUp();
    await publish(event);
    await handler.called;

    expect(handler.calls).toHaveLength(1);
    const [{ event: received, context }] = handler.calls;
    expect(received).toEqual(event);
    expect(context.handler).toBe('welcome');
    expect(context.message.consumer).toBe(consumerGroupName('svc', 'welcome'));
    expect(context.message.subject).toBe(`${topology.eventsSubjectRoot}.user.user-signed-up.v1`);
  });

  it("binds the handler's handle-once to its registration name and the event id (the envelope's, not the message's)", async () => {
    const handler = recording();
    await routerWith({ inbox: new Inbox({} as never) }).subscribe({ handler: 'welcome', contracts: [UserSignedUpV1] }, handler.handle);
    const event = signUp();
    await publish(event);
    await handler.called;

    expect(handler.calls[0].context.once.key).toEqual({ handler: 'welcome', eventId: event.id });
  });

  it('says so when a handler asks for handle-once but the router has no inbox', async () => {
    const handler = recording();
    await routerWith().subscribe({ handler: 'welcome', contracts: [UserSignedUpV1] }, handler.handle);
    await publish(signUp());
    await handler.called;

    expect(() => handler.calls[0].context.once).toThrow(/handler "welcome" uses the inbox, but its router was given none/);
  });

  it('dead-letters a message that breaks its contract at once, naming the handler; the handler never runs', async () => {
    const handler = recording();
    await routerWith().subscribe({ handler: 'welcome', contracts: [UserSignedUpV1] }, handler.handle);
    const parked = nextDeadLetter();
    await publish({ ...signUp(), data: { userId: 'not-a-uuid' } });
    const letter = await parked;

    expect(letter.subject).toBe(`${topology.deadLetterSubjectRoot}.svc__welcome`);
    expect(letter.headers[DeadLetterHeaders.Handler]).toBe('welcome');
    expect(letter.headers[DeadLetterHeaders.DeliveryCount]).toBe('1');
    expect(letter.headers[DeadLetterHeaders.Reason]).toMatch(/ContractViolation/);
    expect(handler.calls).toHaveLength(0);
  });

  it('retries a failing handler with its own policy, then dead-letters it', async () => {
    let attempts = 0;
    await routerWith({ retry: { maxAttempts: 5 } }).subscribe(
      { handler: 'flaky', contracts: [UserSignedUpV1], retry: { maxAttempts: 2, initialIntervalMs: 1 } },
      async () => {
        attempts++;
        throw new Error('smtp down');
      },
    );
    const parked = nextDeadLetter();
    await publish(signUp());
    const letter = await parked;

    expect(attempts).toBe(2);
    expect(letter.headers[DeadLetterHeaders.Reason]).toMatch(/RetriesExhaustedError: gave up after 2 attempts: smtp down/);
  });

  it('follows several contracts on every event, dispatching by type and version and skipping the others', async () => {
    const handler = recording();
    const registration = { handler: 'orders', contracts: [OrderPlacedV1, OrderCancelledV1] };
    expect(subjectOf(registration)).toBe('events.>');
    await routerWith().subscribe(registration, handler.handle);
    const orderId = randomUUID();
    const meta = { correlationId: randomUUID(), source: 'order-service', aggregateId: orderId };
    await publish(signUp());
    const cancelled = OrderCancelledV1.create(
      { orderId, userId: randomUUID(), totalCents: 100, cancelledAt: new Date().toISOString(), orderVersion: 2 },
      meta,
    );
    await publish(cancelled, OrderCancelledV1.subject);
    await handler.called;

    expect(handler.calls.map(({ event }) => event.type)).toEqual(['OrderCancelled']);
  });

  describe('a handler of several contracts judges an event as a single-contract consumer would', () => {
    const placed = () => {
      const orderId = randomUUID();
      return OrderPlacedV1.create(
        { orderId, userId: randomUUID(), items: [{ sku: 'SKU-1', quantity: 1, unitPriceCents: 100 }], totalCents: 100, placedAt: new Date().toISOString(), orderVersion: 1 },
        { correlationId: randomUUID(), source: 'order-service', aggregateId: orderId },
      );
    };
    const subscribeAll = async () => {
      const handler = recording();
      await routerWith().subscribe({ handler: 'everything', contracts: [UserSignedUpV1, OrderPlacedV1] }, handler.handle);
      return handler;
    };

    it.each<[string, () => Promise<void>, RegExp]>([
      // Before: acked by the projection, while the UserSignedUp v1 consumers dead-lettered it.
      ['a v2 envelope on the v1 subject', () => publish({ ...signUp(), version: 2 }), /ContractViolationError: UserSignedUp v1 violates its contract: version/],
      ['a newer version claimed on a subject of a version it knows', () => publish({ ...signUp(), version: 2 }, 'events.user.user-signed-up.v1'), /ContractViolationError: UserSignedUp v1 violates its contract: version/],
      ['an envelope whose type disagrees with its subject', () => publish({ ...placed() }, UserSignedUpV1.subject), /ContractViolationError: UserSignedUp v1 violates its contract: type/],
      ['a known type claimed on an unknown subject', () => publish(placed(), 'events.billing.invoice-paid.v1'), /UnknownEventVersionError: OrderPlaced v1 on events\.billing\.invoice-paid\.v1/],
    ])('dead-letters %s with the reason', async (_label, send, reason) => {
      const handler = await subscribeAll();
      const parked = nextDeadLetter();
      await send();
      const letter = await parked;
      expect(letter.headers[DeadLetterHeaders.Reason]).toMatch(reason);
      expect(handler.calls).toHaveLength(0);
    });

    it.each<[string, () => Promise<void>]>([
      ['an event type it has never heard of (a new event)', () => publish({ ...signUp(), type: 'InvoicePaid' }, 'events.billing.invoice-paid.v1')],
      // Dual publish: the same fact also arrives on the v1 subject, which this handler reads.
      ['a newer version of a known event on its own subject', () => publish({ ...signUp(), version: 2 }, 'events.user.user-signed-up.v2')],
    ])('acks and skips %s, and goes on', async (_label, send) => {
      const handler = await subscribeAll();
      const deadLetters: ReceivedMessage[] = [];
      await bus.subscribe({ group: 'watch', subject: `${topology.deadLetterSubjectRoot}.>` }, async (message) => void deadLetters.push(message));
      await send();
      const event = signUp();
      await publish(event);
      await handler.called;
      expect(handler.calls.map((call) => call.event.id)).toEqual([event.id]);
      expect(deadLetters).toEqual([]);
    });
  });

  it("runs the service's middleware, then the handler's own, inside retry: each sees every attempt", async () => {
    const seen: string[] = [];
    const tag =
      (name: string): Middleware =>
      (next) =>
      async (message) => {
        seen.push(`${name}#${message.deliveryCount}`);
        return next(message);
      };
    let attempts = 0;
    const done = recording();
    await routerWith({ middleware: [tag('service')] }).subscribe(
      { handler: 'h', contracts: [UserSignedUpV1], use: [tag('handler')], retry: { initialIntervalMs: 1 } },
      async (event, context) => {
        if (++attempts === 1) throw new Error('once');
        await done.handle(event, context);
      },
    );
    await publish(signUp());
    await done.called;

    expect(seen).toEqual(['service#1', 'handler#1', 'service#2', 'handler#2']);
  });

  it('refuses a second handler of the same name: it would share, and steal from, the first one’s group', async () => {
    const router = routerWith();
    await router.subscribe({ handler: 'same', contracts: [UserSignedUpV1] }, async () => {});
    await expect(router.subscribe({ handler: 'same', contracts: [OrderPlacedV1] }, async () => {})).rejects.toThrow(
      /two handlers are named "same"/,
    );
  });
});
