// The in-memory adapter against the shared pub/sub conformance suite: the proof that unit tests
// written against it exercise the same semantics services get from JetStream.
import type { Subscriber, Subscription } from '../ports/subscriber.js';
import { runPubSubConformance, type ClosablePubSubClient, type PubSubUnderTest } from '../testing/pubsub-conformance.js';
import { InMemoryPubSub } from './in-memory-pubsub.js';

runPubSubConformance(
  'in-memory',
  async (): Promise<PubSubUnderTest> => {
    // Short nak delay: tests that make handlers fail should not idle for the 1 s default.
    const bus = new InMemoryPubSub({ defaultNakDelayMs: 20 });
    return {
      subjectRoot: 'conformance',
      publisher: bus,
      subscriber: bus,
      connect: async () => clientOf(bus),
      close: () => bus.close(),
    };
  },
  {
    persistent: true,
    consumerGroups: true,
    orderedPerKey: true,
    redeliveryOnAckTimeout: true,
    restartableBroker: false, // one process, nothing to restart: the reconnect test shows as skipped
    newGroupReplaysHistory: true,
    deduplicatesPublishes: true,
    exactlyOnceDelivery: false,
  },
);

/** A "client" of the in-memory bus: closing it closes the subscriptions made through it, like a process exiting. */
function clientOf(bus: InMemoryPubSub): ClosablePubSubClient {
  const subscriptions: Subscription[] = [];
  const subscriber: Subscriber = {
    async subscribe(options, handler) {
      const subscription = await bus.subscribe(options, handler);
      subscriptions.push(subscription);
      return subscription;
    },
  };
  return {
    publisher: bus,
    subscriber,
    close: async () => {
      await Promise.all(subscriptions.map((subscription) => subscription.close(1_000)));
    },
  };
}
