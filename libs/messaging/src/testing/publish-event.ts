import { contractFor, type EventEnvelope } from '@eventshop/contracts';
import { encodeJson } from '../message.js';
import type { Publisher } from '../ports/publisher.js';
import { namespacedSubject, type Topology } from '../jetstream/topology.js';
import { eventHeaders } from '../outbox/event-bus.js';

/**
 * Publishes an event envelope exactly as a service's outbox relay would: on its contract's subject in
 * `topology`'s namespace, with the standard headers, and the event id as the broker's dedup id.
 * Give another `messageId` to store a second copy of the same event, as a republish after the dedup
 * window would. `subject` is needed only for an event outside the shop's catalogue.
 */
export async function publishEvent(
  publisher: Publisher,
  topology: Topology,
  envelope: EventEnvelope,
  options: { messageId?: string; subject?: string } = {},
): Promise<void> {
  const subject = options.subject ?? contractFor(envelope.type, envelope.version)?.subject;
  if (!subject) throw new Error(`no contract for ${envelope.type} v${envelope.version}; pass its subject`);
  await publisher.publish({
    id: options.messageId ?? envelope.id,
    subject: namespacedSubject(topology, subject),
    payload: encodeJson(envelope),
    headers: { ...eventHeaders(envelope), 'Nats-Msg-Id': options.messageId ?? envelope.id },
  });
}

/**
 * Polls `probe` until it returns something other than undefined: for effects that happen in
 * another process or consumer. The timeout is a failure bound, not a wait.
 */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
