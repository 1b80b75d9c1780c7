import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Subscription } from '../domain/subscription.js';
import { SubscriptionRecord } from './subscription.record.js';

const UNIQUE_VIOLATION = '23505';

/** Another transaction created the same user's subscription between our read and our insert. */
export class SubscriptionCreatedConcurrentlyError extends Error {
  constructor(readonly userId: string) {
    super(`the subscription of user ${userId} was created concurrently`);
    this.name = 'SubscriptionCreatedConcurrentlyError';
  }
}

@Injectable()
export class SubscriptionRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** A plain read, for showing the state. Changes read through `lockForUpdate` instead. */
  find(userId: string): Promise<Subscription | null> {
    return this.dataSource.getRepository(SubscriptionRecord).findOneBy({ userId });
  }

  /**
   * Reads the user's subscription and locks its row until `transaction` ends (`SELECT … FOR UPDATE`):
   * a concurrent change of the same subscription waits, then reads this one's result. With no row
   * there is nothing to lock; two racing creations are told apart by `insert` instead.
   */
  lockForUpdate(transaction: EntityManager, userId: string): Promise<Subscription | null> {
    return transaction.getRepository(SubscriptionRecord).findOne({ where: { userId }, lock: { mode: 'pessimistic_write' } });
  }

  /** Creates the subscription; `SubscriptionCreatedConcurrentlyError` when another transaction created it first. */
  async insert(transaction: EntityManager, subscription: Subscription): Promise<void> {
    try {
      await transaction.insert(SubscriptionRecord, { ...subscription });
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) {
        throw new SubscriptionCreatedConcurrentlyError(subscription.userId);
      }
      throw error;
    }
  }

  /** Stores a new state of a subscription read with `lockForUpdate` in the same transaction. */
  async update(transaction: EntityManager, subscription: Subscription): Promise<void> {
    await transaction.update(
      SubscriptionRecord,
      { userId: subscription.userId },
      { subscribed: subscription.subscribed, since: subscription.since },
    );
  }
}
