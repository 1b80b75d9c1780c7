import bcrypt from 'bcrypt';
import type { PasswordHasher } from '../domain/password-hasher.port.js';
import { passwordWithinBcryptLimit } from '../domain/user.js';

/** bcrypt's async API runs on libuv's thread pool, off the event loop. */
export class BcryptPasswordHasher implements PasswordHasher {
  /** A real hash to compare against when the user does not exist, so both paths take as long. */
  private readonly decoy: Promise<string>;

  constructor(private readonly cost: number) {
    this.decoy = bcrypt.hash('decoy-password-for-unknown-users', cost);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  async verify(password: string, hash: string | null): Promise<boolean> {
    // A password bcrypt would only partly read (past 72 bytes or a NUL) is never the one that was
    // set: it must not match on its prefix. It still costs one comparison, like any wrong password.
    const checkable = passwordWithinBcryptLimit(password);
    const matches = await bcrypt.compare(checkable ? password : '', hash ?? (await this.decoy));
    return hash !== null && checkable && matches;
  }
}
