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

export function passwordLengthOk(password: string): boolean {
  const bytes = Buffer.byteLength(password, 'utf8');
  return bytes >= PASSWORD_MIN_BYTES && bytes <= PASSWORD_MAX_BYTES;
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
