import { Controller, Get } from '@nestjs/common';
import { ServiceLogger } from '@eventshop/platform';
import { ConsumerGroups, type ConsumerGroupState } from '../consumer-groups/consumer-groups.js';
import { OutboxGauges, type OutboxState } from '../outbox/outbox-gauges.js';
import { DeadLetters, type DeadLetterList } from '../dead-letters/dead-letters.js';
import { CaughtMails, type MailList } from '../mail/caught-mails.js';

/** One part of the snapshot: its value, or why it could not be read (the other parts still show). */
export type Part<T> = { readonly value: T; readonly error?: undefined } | { readonly value?: undefined; readonly error: string };

export interface Snapshot {
  readonly takenAt: string;
  readonly groups: Part<ConsumerGroupState[]>;
  readonly outboxes: Part<OutboxState[]>;
  readonly deadLetters: Part<DeadLetterList>;
  readonly mails: Part<MailList>;
}

/**
 * `GET /api/snapshot`: the state the page polls about once a second while it is visible — the
 * consumer groups' progress, the outboxes, the dead letters, the mails. One request for all four
 * keeps the page simple; each part fails on its own.
 */
@Controller('api/snapshot')
export class SnapshotController {
  constructor(
    private readonly groups: ConsumerGroups,
    private readonly outboxes: OutboxGauges,
    private readonly deadLetters: DeadLetters,
    private readonly mails: CaughtMails,
    private readonly logger: ServiceLogger,
  ) {}

  @Get()
  async take(): Promise<Snapshot> {
    const [groups, outboxes, deadLetters, mails] = await Promise.all([
      this.part('consumer groups', () => this.groups.list()),
      this.part('outboxes', () => this.outboxes.read()),
      this.part('dead letters', () => this.deadLetters.list()),
      this.part('mails', () => this.mails.list()),
    ]);
    return { takenAt: new Date().toISOString(), groups, outboxes, deadLetters, mails };
  }

  private async part<T>(what: string, read: () => Promise<T>): Promise<Part<T>> {
    try {
      return { value: await read() };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`cannot read ${what}: ${message}`);
      return { error: message };
    }
  }
}
