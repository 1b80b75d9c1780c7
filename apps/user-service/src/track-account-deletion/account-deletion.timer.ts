import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AccountDeletionRequestedV1 } from '@eventshop/contracts';
import { consumerGroupName, DeadLetterHeaders, deadLetterSubject, eventHeaders, MessagingRuntime } from '@eventshop/messaging';
import type { ServiceLogger } from '@eventshop/platform';
import { type AccountDeletion, type DeletionTimings, stuckReason } from '../account-deletion/domain/account-deletion.js';
import { AccountDeletionCommands } from '../account-deletion/infrastructure/account-deletion-commands.js';
import { AccountDeletionRepository } from '../account-deletion/infrastructure/account-deletion.repository.js';
import { DELETION_TIMINGS } from '../request-account-deletion/request-account-deletion.handler.js';

/** The handler name stuck deletions are reported under: dead letters of `user-service__account-deletion`. */
export const ACCOUNT_DELETION = 'account-deletion';

export const DELETION_TIMER_SETTINGS = Symbol('DELETION_TIMER_SETTINGS');
export const DELETION_TIMER_LOGGER = Symbol('DELETION_TIMER_LOGGER');

export interface DeletionTimerSettings {
  /** How often the timer looks for deletions that are due. */
  readonly checkIntervalMs: number;
  readonly serviceName: string;
}

/**
 * The process manager's clock. It keeps no timers of its own: every `checkIntervalMs` it asks the
 * `account_deletions` table which unfinished deletions are due (their retry time or deadline has
 * come) and runs `CheckProgress` on each — so after a restart (kill -9 included) the schedule is
 * simply whatever the rows say, and several replicas can run it (each check locks its row).
 *
 * A deletion past its deadline turns `stuck`, and this reports it where operators already look: a
 * dead letter on `dlq.user-service__account-deletion` (`npm run dlq`, the console) with the reason
 * naming the silent services. Its payload is a fresh AccountDeletionRequested, so replaying the dead
 * letter asks every participant once more; their answers still complete a stuck deletion.
 */
@Injectable()
export class AccountDeletionTimer implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly deletions: AccountDeletionRepository,
    private readonly commands: AccountDeletionCommands,
    private readonly runtime: MessagingRuntime,
    @Inject(DELETION_TIMINGS) private readonly timings: DeletionTimings,
    @Inject(DELETION_TIMER_SETTINGS) private readonly settings: DeletionTimerSettings,
    @Inject(DELETION_TIMER_LOGGER) private readonly logger: ServiceLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.settings.checkIntervalMs);
    this.timer.unref();
    void this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One look at the table; a tick still running when the next is due is not overlapped. */
  tick(now = new Date()): Promise<void> {
    this.running ??= this.checkDue(now)
      .catch((error: unknown) => this.logger.warn('account deletion check failed; next tick retries', { error: String(error) }))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async checkDue(now: Date): Promise<void> {
    for (const userId of await this.deletions.due(now, 100)) {
      const after = await this.commands.run(userId, { type: 'CheckProgress', now, timings: this.timings });
      if (after?.status === 'in-progress' && after.attempts > 1) {
        this.logger.info('account deletion: asked the silent participants again', { userId, attempt: after.attempts });
      }
    }
    for (const stuck of await this.deletions.unreportedStuck(100)) {
      await this.reportStuck(stuck, now);
      await this.deletions.markStuckReported(stuck.userId, now);
    }
  }

  private async reportStuck(deletion: AccountDeletion, at: Date): Promise<void> {
    const { topology, publisher } = this.runtime;
    const group = consumerGroupName(this.settings.serviceName, ACCOUNT_DELETION);
    const reason = stuckReason(deletion);
    const retry = AccountDeletionRequestedV1.create(
      { userId: deletion.userId, requestedAt: deletion.requestedAt.toISOString(), attempt: deletion.attempts + 1 },
      { correlationId: `account-deletion:${deletion.userId}`, source: this.settings.serviceName, aggregateId: deletion.userId },
    );
    await publisher.publish({
      // One report per stuck deletion, even if marking it reported fails and the next tick reports again.
      id: `account-deletion-stuck:${deletion.userId}:${deletion.stuckAt?.toISOString() ?? ''}`,
      subject: deadLetterSubject(topology.deadLetterSubjectRoot, group),
      payload: new TextEncoder().encode(JSON.stringify(retry)),
      headers: {
        ...eventHeaders(retry),
        [DeadLetterHeaders.Reason]: reason,
        [DeadLetterHeaders.OriginalSubject]: `${topology.eventsSubjectRoot}${AccountDeletionRequestedV1.subject.slice('events'.length)}`,
        [DeadLetterHeaders.OriginalSequence]: '',
        [DeadLetterHeaders.Handler]: ACCOUNT_DELETION,
        [DeadLetterHeaders.Consumer]: group,
        [DeadLetterHeaders.DeliveryCount]: String(deletion.attempts),
        [DeadLetterHeaders.FirstFailureAt]: deletion.requestedAt.toISOString(),
        [DeadLetterHeaders.DeadLetteredAt]: at.toISOString(),
      },
    });
    this.logger.error('account deletion stuck: reported as a dead letter', { userId: deletion.userId, reason });
  }
}
