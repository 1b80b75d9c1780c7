import { Injectable } from '@nestjs/common';
import {
  type DeadLetter,
  DeadLetterAdmin,
  DeadLetterHeaders,
  DeadLetterStreamNotFoundError,
  MessagingRuntime,
  type ReplayResult,
} from '@eventshop/messaging';
import { toEventView, type EventView } from '../events/event-view.js';

/** A dead letter as the page shows it: why, where, how often — and the event it holds. */
export interface DeadLetterView {
  readonly sequence: number;
  readonly consumer: string;
  readonly handler: string;
  readonly reason: string;
  readonly attempts: number;
  readonly deadLetteredAt: string;
  readonly originalSubject: string;
  /** Where the event is in the events stream (what a replay republishes); null when unknown. */
  readonly originalSequence: number | null;
  /** The event itself, read like any other (redacted, malformed ones included). */
  readonly event: EventView;
}

export interface DeadLetterList {
  readonly deadLetters: DeadLetterView[];
  readonly total: number;
}

const LIST_LIMIT = 100;

/**
 * The dead-letter stream, through the same DeadLetterAdmin as `npm run dlq`: list, replay one or
 * all, discard one or all.
 */
@Injectable()
export class DeadLetters {
  constructor(private readonly runtime: MessagingRuntime) {}

  private admin(): DeadLetterAdmin {
    return new DeadLetterAdmin(this.runtime.jetstreamManager, this.runtime.connection, this.runtime.topology);
  }

  /** The oldest LIST_LIMIT dead letters and how many there are. */
  async list(): Promise<DeadLetterList> {
    const admin = this.admin();
    try {
      const { deadLetters, total } = await admin.list({ limit: LIST_LIMIT });
      return { deadLetters: await Promise.all(deadLetters.map((deadLetter) => this.toView(admin, deadLetter))), total };
    } catch (error) {
      if (error instanceof DeadLetterStreamNotFoundError) return { deadLetters: [], total: 0 };
      throw error;
    }
  }

  replay(sequence: number): Promise<ReplayResult> {
    return this.admin().replay(sequence);
  }

  replayAll(): Promise<ReplayResult[]> {
    return this.admin().replayAll();
  }

  /** Deletes one dead letter for good (`npm run dlq -- discard`); a wrong sequence is DeadLetterNotFoundError. */
  discard(sequence: number): Promise<void> {
    return this.admin().discard(sequence);
  }

  /** Deletes every dead letter; returns how many. */
  discardAll(): Promise<number> {
    return this.admin().purge();
  }

  private async toView(admin: DeadLetterAdmin, deadLetter: DeadLetter): Promise<DeadLetterView> {
    const originalSequence = Number(deadLetter.headers[DeadLetterHeaders.OriginalSequence]);
    // A dead letter parked by reference has its payload in the events stream; read it from there.
    const payload = await admin.payloadOf(deadLetter).catch(() => deadLetter.payload);
    const originalHeaders = Object.fromEntries(Object.entries(deadLetter.headers).filter(([name]) => !/^dlq-/i.test(name)));
    return {
      sequence: deadLetter.sequence,
      consumer: deadLetter.consumer,
      handler: deadLetter.handler,
      reason: deadLetter.reason,
      attempts: deadLetter.deliveryCount,
      deadLetteredAt: deadLetter.deadLetteredAt.toISOString(),
      originalSubject: deadLetter.originalSubject,
      originalSequence: Number.isSafeInteger(originalSequence) && originalSequence > 0 ? originalSequence : null,
      event: toEventView({
        sequence: Number.isSafeInteger(originalSequence) ? originalSequence : 0,
        subject: deadLetter.originalSubject,
        headers: originalHeaders,
        payload,
        storedAt: deadLetter.deadLetteredAt,
      }),
    };
  }
}
