import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, IsNull } from 'typeorm';
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

  /** An active user by email: one whose account is being deleted can no longer log in. */
  findByEmail(email: string): Promise<User | null> {
    return this.dataSource.getRepository(UserRecord).findOneBy({ email, deactivatedAt: IsNull() });
  }

  /** An active user by id. */
  findById(id: string): Promise<User | null> {
    return this.dataSource.getRepository(UserRecord).findOneBy({ id, deactivatedAt: IsNull() });
  }

  /** The user whether active or being deleted; null once erased. */
  findAnyById(id: string): Promise<User | null> {
    return this.dataSource.getRepository(UserRecord).findOneBy({ id });
  }

  /**
   * Locks the user's row until `transaction` ends and deactivates it (idempotent). False when the
   * row is gone (the account was erased meanwhile).
   */
  async lockAndDeactivate(transaction: EntityManager, id: string, at: Date): Promise<boolean> {
    const rows = await transaction.query<unknown[]>(`SELECT id FROM users WHERE id = $1 FOR UPDATE`, [id]);
    if (rows.length === 0) return false;
    await transaction.query(`UPDATE users SET deactivated_at = $2 WHERE id = $1 AND deactivated_at IS NULL`, [id, at]);
    return true;
  }

  async emailTaken(email: string): Promise<boolean> {
    return this.dataSource.getRepository(UserRecord).existsBy({ email });
  }
}
