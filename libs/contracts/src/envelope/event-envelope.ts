import { z } from 'zod';

/**
 * The envelope every integration event travels in. The metadata is the same for every event;
 * `data` is the event's own payload, validated by that event's contract.
 */
export const EventEnvelopeSchema = z.object({
  /** Unique per event; used as the JetStream dedup id (`Nats-Msg-Id`) and as the inbox key. */
  id: z.uuid(),
  /** Event name in the past tense, e.g. `UserSignedUp`. */
  type: z.string().min(1),
  /** Contract version of `data`; a breaking change gets a new version and a new subject. */
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  /** The id that ties together everything caused by one user action. */
  correlationId: z.string().min(1).max(200),
  /** The id of the event (or request) that directly caused this one; null for a root cause. */
  causationId: z.string().min(1).max(200).nullable(),
  /** The service that published the event (its owner). */
  source: z.string().min(1),
  /** The entity the event is about; events of one aggregate keep their order. */
  aggregateId: z.string().min(1),
  data: z.unknown(),
});

export type EventEnvelope<TData = unknown> = Omit<z.infer<typeof EventEnvelopeSchema>, 'data'> & {
  data: TData;
};

/** What a publisher supplies; the outbox fills in id, occurredAt and the tracing ids. */
export interface EventMetadata {
  correlationId: string;
  causationId?: string | null;
}
