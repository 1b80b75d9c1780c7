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

  isKnown(userId: string): Promise<boolean> {
    return this.dataSource.getRepository(CustomerRecord).existsBy({ userId });
  }
}
