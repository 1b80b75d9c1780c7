import type { EventEnvelope } from '@eventshop/contracts';
import type { JetStreamManager, MsgRequest } from '@nats-io/jetstream';
import type { DataSource } from 'typeorm';
import { namespacedSubject, type Topology } from '../jetstream/topology.js';

/** An event as the events stream stores it. */
export interface StoredEvent<T = unknown> {
  readonly subject: string;
  readonly envelope: EventEnvelope<T>;
  readonly headers: Record<string, string>;
}

/**
 * Every event in `topology`'s events stream, oldest first — or only those on one contract's subject
 * (`contractSubject`, as the contract names it). What a service published is read here: its outbox
 * keeps only what is not yet published (see {@link outboxDrained}).
 */
export async function eventsOnStream<T = unknown>(
  jsm: JetStreamManager,
  topology: Topology,
  contractSubject?: string,
): Promise<Array<StoredEvent<T>>> {
  const subject = contractSubject === undefined ? `${topology.eventsSubjectRoot}.>` : namespacedSubject(topology, contractSubject);
  const found: Array<StoredEvent<T>> = [];
  for (let seq = 1; ; ) {
    // The server's message-get takes `next_by_subj` (the first match at or after `seq`); the client
    // types it for direct gets only.
    const stored = await jsm.streams.getMessage(topology.eventsStream, { seq, next_by_subj: subject } as unknown as MsgRequest);
    if (!stored) return found;
    const headers = Object.fromEntries([...(stored.header?.keys() ?? [])].map((key) => [key, stored.header.get(key)]));
    found.push({ subject: stored.subject, envelope: stored.json<EventEnvelope<T>>(), headers });
    seq = stored.seq + 1;
  }
}

/**
 * For `eventually`: true once `dataSource`'s outbox is empty — the relay has published every event
 * staged so far (it deletes a row only once the stream acked it), so they are all on the stream.
 */
export async function outboxDrained(dataSource: DataSource): Promise<true | undefined> {
  const [{ pending }] = (await dataSource.query(`SELECT count(*)::int AS pending FROM outbox_messages`)) as [{ pending: number }];
  return pending === 0 ? true : undefined;
}
