import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { User } from '../domain/user.js';
import { EmailAlreadyTakenError } from '../domain/user.js';
import { UserRecord } from './user.record.js';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UserRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Inserts the user in `transaction`; a taken email becomes `EmailAlreadyTakenError`. */
  async insert(transaction: EntityManager, user: User): Promise<void> {
    try {
      await transaction.insert(UserRecord, { ...user });
    } catch (error) {
      const driverError = (error as { driverError?: { code?: string; constraint?: string } }).driverError;
      if (driverError?.code === UNIQUE_VIOLATION && driverError.constraint === 'users_email_unique') {
        throw new EmailAlreadyTakenError();
      }
      throw error;
    }
  }

  findByEmail(email: string): Promise<User | null> {
    return this.dataSource.getRepository(UserRecord).findOneBy({ email });
  }

  findById(id: string): Promise<User | null> {
    return this.dataSource.getRepository(UserRecord).findOneBy({ id });
  }

  async emailTaken(email: string): Promise<boolean> {
    return this.dataSource.getRepository(UserRecord).existsBy({ email });
  }
}
