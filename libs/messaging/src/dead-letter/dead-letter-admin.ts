import {
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { MsgHdrs, NatsConnection } from '@nats-io/nats-core';
import { DeadLetterHeaders, Headers, type MessageHeaders } from '../message.js';
import type { Topology } from '../jetstream/topology.js';
import { fromNatsHeaders } from '../jetstream/headers.js';
import { JetStreamPublisher } from '../jetstream/jetstream-publisher.js';
import { deadLetterSubject } from '../middleware/dead-letter.middleware.js';

/** A message parked on the dead-letter stream by the dead-letter middleware. */
export interface DeadLetter {
  /** Its position in the dead-letter stream: the handle `show`, `replay` and `delete` take. */
  readonly sequence: number;
  /** The consumer group it failed in. */
  readonly consumer: string;
  /** The handler that gave up on it. */
  readonly handler: string;
  /** Where it was originally published, and where a replay sends it. */
  readonly originalSubject: string;
  /** Why it was parked: the last error, as `Name: message`. */
  readonly reason: string;
  /** Deliveries it had had when it was parked. */
  readonly deliveryCount: number;
  readonly deadLetteredAt: Date;
  /** Its `Nats-Msg-Id` on the dead-letter stream. */
  readonly messageId: string;
  /** All its headers: the original ones plus the `Dlq-*` ones. */
  readonly headers: MessageHeaders;
  /** The payload as parked; empty when it was parked by reference (see `payloadByReference`). */
  readonly payload: Uint8Array;
  /**
   * Set when the payload was too large to park with the `Dlq-*` headers: its size, and where it
   * still is — the original message in the events stream, which a replay reads.
   */
  readonly payloadByReference?: { readonly bytes: number; readonly stream: string; readonly sequence: number };
}

export interface DeadLetterFilter {
  /** Only this consumer group's dead letters; all of them when left out. */
  readonly consumer?: string;
}

export interface ReplayResult {
  /** The dead letter's sequence; it has been deleted. */
  readonly sequence: number;
  readonly subject: string;
  /** The `Nats-Msg-Id` it was republished with. */
  readonly messageId: string;
}

export class DeadLetterNotFoundError extends Error {
  constructor(readonly sequence: number) {
    super(`no dead letter with sequence ${sequence}`);
    this.name = 'DeadLetterNotFoundError';
  }
}

export class DeadLetterStreamNotFoundError extends Error {
  constructor(readonly stream: string) {
    super(`the dead-letter stream ${stream} does not exist: nothing has been dead-lettered there yet`);
    this.name = 'DeadLetterStreamNotFoundError';
  }
}

/** A dead letter parked by reference whose original message is no longer in the events stream. */
export class OriginalMessageGoneError extends Error {
  constructor(
    readonly sequence: number,
    readonly stream: string,
    readonly originalSequence: number,
  ) {
    super(`dead letter ${sequence} was parked without its payload, and message ${originalSequence} of ${stream} is gone`);
    this.name = 'OriginalMessageGoneError';
  }
}

/** The message cannot be replayed: it lacks the headers the dead-letter middleware writes. */
export class NotReplayableError extends Error {
  constructor(readonly sequence: number) {
    super(`dead letter ${sequence} has no ${DeadLetterHeaders.OriginalSubject} header, so it cannot be replayed`);
    this.name = 'NotReplayableError';
  }
}

/**
 * The `Nats-Msg-Id` of a replay: `<original id>:replay:<dead-letter sequence>`. It must differ from
 * the original id, or the stream's dedup window would drop the replay; consumers still see the
 * same event id in the envelope and dedup through their inbox. It is stable per dead letter, so a
 * replay retried after a crash (published, not yet deleted) is dropped as a duplicate.
 */
export function replayMessageId(deadLetterMessageId: string, sequence: number): string {
  // The dead-letter middleware ids a parked message `<id>:dlq:<consumer>:<seq>:<deliveries>`;
  // earlier replays of it added `:replay:<n>`. Both go, so ids do not grow on every round trip.
  const [beforeDeadLetter = ''] = deadLetterMessageId.split(':dlq:');
  const original = beforeDeadLetter.replace(/(:replay:\d+)+$/, '');
  return `${original || 'dead-letter'}:replay:${sequence}`;
}

/** The original headers a replay carries: everything but the `Dlq-*` headers and the dedup id. */
export function headersForReplay(headers: MessageHeaders, messageId: string): MessageHeaders {
  const replayed: MessageHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!/^dlq-/i.test(name)) replayed[name] = value;
  }
  replayed[Headers.MessageId] = messageId;
  return replayed;
}

/** How long to wait for a message the stream said was there; it only runs out if one was deleted meanwhile. */
const FETCH_EXPIRES_MS = 2_000;

/**
 * Reads and repairs the dead-letter stream: list, show, replay to the original subject, purge.
 * The logic behind `npm run dlq`.
 */
export class DeadLetterAdmin {
  private readonly publisher: JetStreamPublisher;
  private readonly js: JetStreamClient;
  private readonly stream: string;

  constructor(
    private readonly jsm: JetStreamManager,
    connection: NatsConnection,
    private readonly topology: Topology,
  ) {
    this.js = jetstream(connection);
    this.publisher = new JetStreamPublisher(connection);
    this.stream = topology.deadLetterStream;
  }

  /** Up to `limit` dead letters matching `filter`, oldest first, and how many match in all. */
  async list(filter: DeadLetterFilter & { readonly limit?: number } = {}): Promise<{ deadLetters: DeadLetter[]; total: number }> {
    const limit = filter.limit ?? 50;
    const deadLetters: DeadLetter[] = [];
    const total = await this.scan(filter, (deadLetter) => {
      deadLetters.push(deadLetter);
      return deadLetters.length < limit;
    });
    return { deadLetters, total };
  }

  /** @throws DeadLetterNotFoundError when there is no message at `sequence` (or it was deleted). */
  async get(sequence: number): Promise<DeadLetter> {
    const stored = await this.withStream(() => this.jsm.streams.getMessage(this.stream, { seq: sequence }));
    if (!stored) throw new DeadLetterNotFoundError(sequence);
    return toDeadLetter(stored, this.topology);
  }

  /**
   * Republishes the dead letter to its original subject with its original headers (no `Dlq-*`
   * ones) and a new message id (see `replayMessageId`), waits for the stream's ack, then deletes
   * the dead letter.
   */
  async replay(sequence: number): Promise<ReplayResult> {
    return this.republish(await this.get(sequence));
  }

  /**
   * Replays every dead letter matching `filter`, oldest first. Messages dead-lettered after the
   * call started are left alone, so a replay that fails again cannot loop.
   */
  async replayAll(filter: DeadLetterFilter = {}): Promise<ReplayResult[]> {
    const parked: DeadLetter[] = [];
    await this.scan(filter, (deadLetter) => {
      parked.push(deadLetter);
      return true;
    });
    const results: ReplayResult[] = [];
    for (const deadLetter of parked) results.push(await this.republish(deadLetter));
    return results;
  }

  /**
   * Deletes one dead letter for good.
   * @throws DeadLetterNotFoundError when there is no message at `sequence` (or it was deleted).
   */
  async discard(sequence: number): Promise<void> {
    await this.get(sequence);
    await this.jsm.streams.deleteMessage(this.stream, sequence, false);
  }

  /** Deletes every dead letter matching `filter` for good; returns how many. */
  async purge(filter: DeadLetterFilter = {}): Promise<number> {
    const subject = this.subjectFor(filter);
    const response = await this.withStream(() => this.jsm.streams.purge(this.stream, { filter: subject }));
    return response.purged;
  }

  private async republish(deadLetter: DeadLetter): Promise<ReplayResult> {
    if (!deadLetter.originalSubject) throw new NotReplayableError(deadLetter.sequence);
    const messageId = replayMessageId(deadLetter.messageId, deadLetter.sequence);
    await this.publisher.publish({
      id: messageId,
      subject: deadLetter.originalSubject,
      payload: await this.payloadOf(deadLetter),
      headers: headersForReplay(deadLetter.headers, messageId),
    });
    // Only once the stream has the replay: a crash in between leaves the dead letter in place, and
    // replaying it again is dropped by the stream as a duplicate.
    await this.jsm.streams.deleteMessage(this.stream, deadLetter.sequence, false);
    return { sequence: deadLetter.sequence, subject: deadLetter.originalSubject, messageId };
  }

  /** The dead letter's payload: parked with it, or — parked by reference — read from the events stream. */
  async payloadOf(deadLetter: DeadLetter): Promise<Uint8Array> {
    const reference = deadLetter.payloadByReference;
    if (!reference) return deadLetter.payload;
    const original = await this.jsm.streams.getMessage(reference.stream, { seq: reference.sequence }).catch(() => null);
    if (!original) throw new OriginalMessageGoneError(deadLetter.sequence, reference.stream, reference.sequence);
    return original.data;
  }

  /**
   * Feeds the dead letters matching `filter` that exist now, oldest first, to `visit` until it
   * returns false. Returns how many matched. Reads through a throwaway ordered consumer, which
   * leaves nothing behind on the stream.
   */
  private async scan(filter: DeadLetterFilter, visit: (deadLetter: DeadLetter) => boolean): Promise<number> {
    const { total, subject, lastSequence } = await this.snapshot(filter);
    if (total === 0) return 0;
    const consumer = await this.js.consumers.get(this.stream, { filter_subjects: subject });
    try {
      for (;;) {
        const msg = await consumer.next({ expires: FETCH_EXPIRES_MS });
        if (!msg || msg.seq > lastSequence) break;
        const stored = {
          seq: msg.seq,
          subject: msg.subject,
          header: msg.headers,
          data: msg.data,
          time: new Date(Math.floor(msg.info.timestampNanos / 1e6)),
        };
        if (!visit(toDeadLetter(stored, this.topology))) break;
        if (msg.info.pending === 0) break;
      }
    } finally {
      // Ordered consumers also expire on their own once idle; this just tidies up at once.
      await Promise.resolve()
        .then(() => consumer.delete())
        .catch(() => undefined);
    }
    return total;
  }

  private async snapshot(filter: DeadLetterFilter) {
    const subject = this.subjectFor(filter);
    const info = await this.withStream(() => this.jsm.streams.info(this.stream, { subjects_filter: subject }));
    const total = Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
    return { subject, total, lastSequence: info.state.last_seq };
  }

  private subjectFor(filter: DeadLetterFilter): string {
    if (filter.consumer === undefined) return `${this.topology.deadLetterSubjectRoot}.>`;
    if (!/^[^\s.*>]+$/.test(filter.consumer)) {
      throw new RangeError(`"${filter.consumer}" is not a consumer group name (no dots, spaces or wildcards)`);
    }
    return deadLetterSubject(this.topology.deadLetterSubjectRoot, filter.consumer);
  }

  private async withStream<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
        throw new DeadLetterStreamNotFoundError(this.stream);
      }
      throw error;
    }
  }
}

interface StoredMessage {
  readonly seq: number;
  readonly subject: string;
  readonly header?: MsgHdrs;
  readonly data: Uint8Array;
  readonly time: Date;
}

function toDeadLetter(stored: StoredMessage, topology: Topology): DeadLetter {
  const subjectRoot = topology.deadLetterSubjectRoot;
  const headers = fromNatsHeaders(stored.header);
  const parkedAt = headers[DeadLetterHeaders.DeadLetteredAt];
  const omittedBytes = headers[DeadLetterHeaders.PayloadOmitted];
  const originalSequence = Number(headers[DeadLetterHeaders.OriginalSequence]);
  return {
    sequence: stored.seq,
    // The header is the truth; the subject says the same for anything the middleware parked.
    consumer: headers[DeadLetterHeaders.Consumer] ?? stored.subject.slice(subjectRoot.length + 1),
    handler: headers[DeadLetterHeaders.Handler] ?? '',
    originalSubject: headers[DeadLetterHeaders.OriginalSubject] ?? '',
    reason: headers[DeadLetterHeaders.Reason] ?? '',
    deliveryCount: Number(headers[DeadLetterHeaders.DeliveryCount] ?? 0) || 0,
    deadLetteredAt: parkedAt && !Number.isNaN(Date.parse(parkedAt)) ? new Date(parkedAt) : stored.time,
    messageId: headers[Headers.MessageId] ?? '',
    headers,
    payload: stored.data,
    ...(omittedBytes !== undefined && originalSequence > 0
      ? { payloadByReference: { bytes: Number(omittedBytes), stream: topology.eventsStream, sequence: originalSequence } }
      : {}),
  };
}
