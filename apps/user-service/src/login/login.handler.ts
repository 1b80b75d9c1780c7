import { Inject, Injectable } from '@nestjs/common';
import { InvalidCredentialsError, normalizeEmail } from '../users/domain/user.js';
import { PASSWORD_HASHER, type PasswordHasher } from '../users/domain/password-hasher.port.js';
import { UserRepository } from '../users/infrastructure/user.repository.js';
import { type AccessToken, AccessTokenIssuer } from './access-token.issuer.js';

/**
 * Exchanges email and password for an access token. An unknown email and a wrong password fail the
 * same way and take the same time, so the endpoint does not reveal who has an account.
 */
@Injectable()
export class LoginHandler {
  constructor(
    private readonly users: UserRepository,
    private readonly tokens: AccessTokenIssuer,
    @Inject(PASSWORD_HASHER) private readonly hasher: PasswordHasher,
  ) {}

  async execute(email: string, password: string): Promise<AccessToken> {
    const user = await this.users.findByEmail(normalizeEmail(email));
    const valid = await this.hasher.verify(password, user?.passwordHash ?? null);
    if (!user || !valid) throw new InvalidCredentialsError();
    return this.tokens.issue(user);
  }
}
