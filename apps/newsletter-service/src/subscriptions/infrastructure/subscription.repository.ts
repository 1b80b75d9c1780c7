import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Decision, DecisionStore } from '@eventshop/messaging';
import type { Subscription, SubscriptionEvent, SubscriptionState } from '../domain/subscription.js';
import { SubscriptionRecord } from './subscription.record.js';

const UNIQUE_VIOLATION = '23505';

/** Another transaction created the same user's subscription between our read and our insert. */
export class SubscriptionCreatedConcurrentlyError extends Error {
  constructor(readonly userId: string) {
    super(`the subscription of user ${userId} was created concurrently`);
    this.name = 'SubscriptionCreatedConcurrentlyError';
  }
}

/**
 * Subscriptions, one row per user holding the state (the events that led to it are not kept). As the
 * runner's store (`SubscriptionCommands`) it reads the row under a lock and writes the new state.
 */
@Injectable()
export class SubscriptionRepository implements DecisionStore<SubscriptionEvent, SubscriptionState> {
  constructor(private readonly dataSource: DataSource) {}

  /** A plain read, for showing the state. Changes read through `load` instead. */
  find(userId: string): Promise<SubscriptionState> {
    return this.dataSource.getRepository(SubscriptionRecord).findOneBy({ userId });
  }

  /**
   * Reads the user's subscription and locks its row until `transaction` ends (`SELECT … FOR UPDATE`):
   * a concurrent change of the same subscription waits, then reads this one's result. With no row
   * there is nothing to lock; two racing creations are told apart by `save` instead.
   */
  load(transaction: EntityManager, userId: string): Promise<SubscriptionState> {
    return transaction.getRepository(SubscriptionRecord).findOne({ where: { userId }, lock: { mode: 'pessimistic_write' } });
  }

  /**
   * Stores the state the decision leads to: creates the row for a user who had none, else updates the
   * row `load` locked. `SubscriptionCreatedConcurrentlyError` when another transaction created it first.
   */
  async save(transaction: EntityManager, userId: string, { before, after }: Decision<SubscriptionEvent, SubscriptionState>): Promise<void> {
    // Never taken: `evolve` turns every event into a subscription. It narrows the type.
    if (!after) throw new Error(`a decision left user ${userId} without a subscription`);
    if (before) await this.update(transaction, after);
    else await this.insert(transaction, after);
  }

  private async insert(transaction: EntityManager, subscription: Subscription): Promise<void> {
    try {
      await transaction.insert(SubscriptionRecord, { ...subscription });
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) {
        throw new SubscriptionCreatedConcurrentlyError(subscription.userId);
      }
      throw error;
    }
  }

  private async update(transaction: EntityManager, subscription: Subscription): Promise<void> {
    await transaction.update(
      SubscriptionRecord,
      { userId: subscription.userId },
      { subscribed: subscription.subscribed, since: subscription.since },
    );
  }
}
