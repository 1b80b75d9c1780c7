import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DeciderRunner, EventBus } from '@eventshop/messaging';
import {
  type AccountDeletionCommand,
  accountDeletionDecider,
  type AccountDeletionEvent,
  type AccountDeletionState,
} from '../domain/account-deletion.js';
import { UserRecord } from '../../users/infrastructure/user.record.js';
import { AccountDeletionRepository } from './account-deletion.repository.js';
import { accountDeletionIntegrationEvents } from './account-deletion-integration-events.js';

/**
 * The one way an account deletion moves: the shared decider runner over `account_deletions`, plus
 * the one side effect of completion — the user's row (email, name, password hash) is erased in the
 * same transaction that records the last answer and stages AccountDeleted.
 */
@Injectable()
export class AccountDeletionCommands {
  private readonly runner: DeciderRunner<AccountDeletionCommand, AccountDeletionEvent, AccountDeletionState>;

  constructor(
    private readonly dataSource: DataSource,
    eventBus: EventBus,
    store: AccountDeletionRepository,
  ) {
    this.runner = new DeciderRunner(dataSource, eventBus, {
      decider: accountDeletionDecider,
      store,
      integrationEventsOf: accountDeletionIntegrationEvents,
    });
  }

  /** Runs `command` in a transaction of its own. */
  run(userId: string, command: AccountDeletionCommand): Promise<AccountDeletionState> {
    return this.dataSource.transaction((transaction) => this.runWithin(transaction, userId, command));
  }

  /** Runs `command` inside the caller's transaction (an event handler's `once.run`, the DELETE request's). */
  async runWithin(transaction: EntityManager, userId: string, command: AccountDeletionCommand): Promise<AccountDeletionState> {
    const after = await this.runner.runWithin(transaction, userId, command);
    // Idempotent: a completed deletion's user row is gone, and stays gone.
    if (after?.status === 'completed') await transaction.delete(UserRecord, { id: userId });
    return after;
  }
}
