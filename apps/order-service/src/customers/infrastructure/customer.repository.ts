import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { forgetUser, isForgotten } from '@eventshop/platform';
import type { Customer } from '../domain/customer.js';
import { CustomerRecord } from './customer.record.js';

@Injectable()
export class CustomerRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Records the customer in `transaction`; a customer already known, or forgotten, stays as it is. */
  async record(transaction: EntityManager, customer: Customer): Promise<void> {
    // A sign-up that reaches this group after the account's deletion records nobody.
    if (await isForgotten(transaction, customer.userId)) return;
    await transaction.createQueryBuilder().insert().into(CustomerRecord).values({ ...customer }).orIgnore().execute();
  }

  /** Whether the customer's account was deleted (they were anonymised). */
  isForgotten(userId: string): Promise<boolean> {
    return isForgotten(this.dataSource, userId);
  }

  /**
   * Anonymises the customer in `transaction`: the replica row goes and the id is remembered as
   * forgotten (a late sign-up records nobody). Their orders stay. Resolves to how many they had.
   */
  async anonymise(transaction: EntityManager, userId: string, at: Date): Promise<number> {
    await forgetUser(transaction, userId, at);
    await transaction.delete(CustomerRecord, { userId });
    const [{ count }] = (await transaction.query(
      `SELECT count(*)::int AS count FROM order_events WHERE type = 'OrderPlaced' AND data->>'userId' = $1`,
      [userId],
    )) as [{ count: number }];
    return count;
  }

  async isKnown(userId: string): Promise<boolean> {
    // Plain SQL: asked on every POST /orders, where TypeORM's query builder cost more than the query.
    const [{ known }]: Array<{ known: boolean }> = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM customers WHERE user_id = $1) AS known`,
      [userId],
    );
    return known;
  }
}
