/** Hashes and checks passwords. Implementations must not block the event loop. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Compares in constant time; also burns the same time when `hash` is null (unknown user). */
  verify(password: string, hash: string | null): Promise<boolean>;
}

export const PASSWORD_HASHER = Symbol('PASSWORD_HASHER');
