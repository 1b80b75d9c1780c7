import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InvalidCredentialsError } from '../users/domain/user.js';
import { PASSWORD_HASHER, type PasswordHasher } from '../users/domain/password-hasher.port.js';
import { UserRepository } from '../users/infrastructure/user.repository.js';
import type { AccountDeletion, DeletionTimings } from '../account-deletion/domain/account-deletion.js';
import { AccountDeletionCommands } from '../account-deletion/infrastructure/account-deletion-commands.js';

/** The account is already erased (a deletion completed): nothing left to delete. */
export class AccountGoneError extends Error {
  constructor() {
    super('This account no longer exists');
    this.name = 'AccountGoneError';
  }
}

export const DELETION_TIMINGS = Symbol('DELETION_TIMINGS');

/**
 * Starts the deletion of the caller's account (or finds the one already running): checks the
 * password, then in ONE transaction locks the user's row, deactivates it (login fails from now on)
 * and runs `RequestDeletion` through the process manager, which stages AccountDeletionRequested in
 * the outbox. Two racing requests queue on the row lock; the second finds the deletion and starts
 * nothing new.
 */
@Injectable()
export class RequestAccountDeletionHandler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UserRepository,
    private readonly deletions: AccountDeletionCommands,
    @Inject(PASSWORD_HASHER) private readonly hasher: PasswordHasher,
    @Inject(DELETION_TIMINGS) private readonly timings: DeletionTimings,
  ) {}

  async execute(userId: string, password: string, now = new Date()): Promise<AccountDeletion> {
    const user = await this.users.findAnyById(userId);
    if (!user) throw new AccountGoneError();
    if (!(await this.hasher.verify(password, user.passwordHash))) throw new InvalidCredentialsError();
    const deletion = await this.dataSource.transaction(async (transaction) => {
      if (!(await this.users.lockAndDeactivate(transaction, userId, now))) throw new AccountGoneError();
      return this.deletions.runWithin(transaction, userId, { type: 'RequestDeletion', userId, at: now, timings: this.timings });
    });
    if (!deletion) throw new Error(`no account deletion for user ${userId} after requesting one`);
    return deletion;
  }
}
