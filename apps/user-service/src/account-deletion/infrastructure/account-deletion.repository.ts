import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Decision, DecisionStore } from '@eventshop/messaging';
import type { AccountDeletion, AccountDeletionEvent, AccountDeletionState } from '../domain/account-deletion.js';
import { AccountDeletionRecord } from './account-deletion.record.js';

function toDeletion(record: AccountDeletionRecord): AccountDeletion {
  return {
    userId: record.userId,
    status: record.status,
    requestedAt: record.requestedAt,
    answers: {
      newsletter: record.newsletterAnsweredAt,
      email: record.emailAnsweredAt,
      order: record.orderAnsweredAt,
      'read-model': record.readModelAnsweredAt,
    },
    attempts: record.attempts,
    nextRetryAt: record.nextRetryAt,
    deadlineAt: record.deadlineAt,
    stuckAt: record.stuckAt,
    completedAt: record.completedAt,
  };
}

/**
 * The `account_deletions` table as the process manager's store: `load` reads the row under a lock
 * (`SELECT … FOR UPDATE`), so the answers of four participants and the timer's checks for one user
 * run one after the other and each sees the last one's result; `save` writes the new state. A
 * deletion is created only under the lock of the user's own row (see RequestAccountDeletionHandler),
 * so two racing DELETEs cannot both insert.
 */
@Injectable()
export class AccountDeletionRepository implements DecisionStore<AccountDeletionEvent, AccountDeletionState> {
  constructor(private readonly dataSource: DataSource) {}

  /** A plain read, for showing the progress. */
  async find(userId: string): Promise<AccountDeletion | null> {
    const record = await this.dataSource.getRepository(AccountDeletionRecord).findOneBy({ userId });
    return record ? toDeletion(record) : null;
  }

  async load(transaction: EntityManager, userId: string): Promise<AccountDeletionState> {
    const record = await transaction
      .getRepository(AccountDeletionRecord)
      .findOne({ where: { userId }, lock: { mode: 'pessimistic_write' } });
    return record ? toDeletion(record) : null;
  }

  async save(transaction: EntityManager, userId: string, { after }: Decision<AccountDeletionEvent, AccountDeletionState>): Promise<void> {
    if (!after) throw new Error(`a decision left user ${userId} without an account deletion`);
    await transaction.upsert(
      AccountDeletionRecord,
      {
        userId: after.userId,
        status: after.status,
        requestedAt: after.requestedAt,
        attempts: after.attempts,
        nextRetryAt: after.nextRetryAt,
        deadlineAt: after.deadlineAt,
        newsletterAnsweredAt: after.answers.newsletter,
        emailAnsweredAt: after.answers.email,
        orderAnsweredAt: after.answers.order,
        readModelAnsweredAt: after.answers['read-model'],
        stuckAt: after.stuckAt,
        completedAt: after.completedAt,
        updatedAt: new Date(),
      },
      ['userId'],
    );
  }

  /** Unfinished deletions whose next retry or deadline has come, oldest first. */
  async due(now: Date, limit: number): Promise<string[]> {
    const rows = await this.dataSource.query<{ user_id: string }[]>(
      `SELECT user_id FROM account_deletions
        WHERE status = 'in-progress' AND (next_retry_at <= $1 OR deadline_at <= $1)
        ORDER BY next_retry_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((row) => row.user_id);
  }

  /** Stuck deletions not reported yet. */
  async unreportedStuck(limit: number): Promise<AccountDeletion[]> {
    const records = await this.dataSource
      .getRepository(AccountDeletionRecord)
      .createQueryBuilder('deletion')
      .where(`deletion.status = 'stuck' AND deletion.stuck_reported_at IS NULL`)
      .orderBy('deletion.stuck_at')
      .limit(limit)
      .getMany();
    return records.map(toDeletion);
  }

  /** Every stuck deletion, for operators (the newest first). */
  async stuck(limit: number): Promise<AccountDeletion[]> {
    const records = await this.dataSource
      .getRepository(AccountDeletionRecord)
      .find({ where: { status: 'stuck' }, order: { stuckAt: 'DESC' }, take: limit });
    return records.map(toDeletion);
  }

  async markStuckReported(userId: string, at: Date): Promise<void> {
    await this.dataSource.getRepository(AccountDeletionRecord).update({ userId, status: 'stuck' }, { stuckReportedAt: at });
  }
}
