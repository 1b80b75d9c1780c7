import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Customer } from '../domain/customer.js';
import { CustomerRecord } from './customer.record.js';

@Injectable()
export class CustomerRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Records the customer in `transaction`; a customer already known stays as it is. */
  async record(transaction: EntityManager, customer: Customer): Promise<void> {
    await transaction.createQueryBuilder().insert().into(CustomerRecord).values({ ...customer }).orIgnore().execute();
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
