import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { UserSignedUpV2 } from '@eventshop/contracts';
import { EventBus } from '@eventshop/messaging';
import { EmailAlreadyTakenError, normalizeEmail, toUserView, type User, type UserView } from '../users/domain/user.js';
import { PASSWORD_HASHER, type PasswordHasher } from '../users/domain/password-hasher.port.js';
import { UserRepository } from '../users/infrastructure/user.repository.js';

export interface RegisterUserCommand {
  readonly email: string;
  readonly password: string;
  readonly name: string;
  readonly newsletter: boolean;
}

/**
 * Signs a user up: the user row and its `UserSignedUp` event are written in one transaction (the
 * transactional outbox), so the event exists if and only if the user does.
 */
@Injectable()
export class RegisterUserHandler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UserRepository,
    private readonly eventBus: EventBus,
    @Inject(PASSWORD_HASHER) private readonly hasher: PasswordHasher,
  ) {}

  async execute(command: RegisterUserCommand): Promise<UserView> {
    const email = normalizeEmail(command.email);
    // Cheap early answer for the common case; the unique constraint below is the real guard.
    if (await this.users.emailTaken(email)) throw new EmailAlreadyTakenError();

    const user: User = {
      id: randomUUID(),
      email,
      name: command.name,
      passwordHash: await this.hasher.hash(command.password),
      newsletterOptIn: command.newsletter,
      createdAt: new Date(),
    };
    await this.dataSource.transaction(async (transaction) => {
      await this.users.insert(transaction, user);
      // v2: no personal data on the stream, which is kept forever; the rest of the shop asks for it.
      await this.eventBus.publish(
        transaction,
        UserSignedUpV2,
        {
          userId: user.id,
          newsletterOptIn: user.newsletterOptIn,
          occurredAt: user.createdAt.toISOString(),
        },
        { aggregateId: user.id },
      );
    });
    return toUserView(user);
  }
}
