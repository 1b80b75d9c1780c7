/** A registered user, as the domain sees it. `passwordHash` never leaves this service. */
export interface User {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly passwordHash: string;
  readonly newsletterOptIn: boolean;
  readonly createdAt: Date;
}

/** What the API shows of a user: never the hash. */
export interface UserView {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly createdAt: string;
}

export function toUserView(user: User): UserView {
  return { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt.toISOString() };
}

/** Emails are compared case-insensitively: stored trimmed and lower-cased. */
export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

/** bcrypt reads only the first 72 bytes; a longer password would be silently truncated. */
export const PASSWORD_MIN_BYTES = 8;
export const PASSWORD_MAX_BYTES = 72;

/** Whether bcrypt hashes all of `password`: it stops at byte 72 and at a NUL character. */
export function passwordWithinBcryptLimit(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') <= PASSWORD_MAX_BYTES && !password.includes('\u0000');
}

/** The sign-up rule: long enough to be worth something, and all of it hashed. */
export function passwordLengthOk(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') >= PASSWORD_MIN_BYTES && passwordWithinBcryptLimit(password);
}

export const NAME_MAX_CHARACTERS = 100;

export class EmailAlreadyTakenError extends Error {
  constructor() {
    super('This email address is already registered');
    this.name = 'EmailAlreadyTakenError';
  }
}

export class InvalidCredentialsError extends Error {
  constructor() {
    super('Invalid email or password');
    this.name = 'InvalidCredentialsError';
  }
}
