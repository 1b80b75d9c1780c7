import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Anything that runs SQL: an EntityManager inside a transaction, or the DataSource. */
interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/**
 * The user ids a service has forgotten (their account is being deleted), so that an event about
 * them that arrives late — a sign-up still queued in another consumer group, an order that raced the
 * deletion, a replay — brings nothing of them back. Holds the id and when, nothing personal: the id
 * names nobody once user-service has erased the account.
 *
 * Each participant of the account deletion adds `CreateForgottenUsers1764800000200` to its migrations,
 * calls `forgetUser` in the transaction that forgets the user's data, and asks `isForgotten` before
 * recording anything new about a user.
 */
export class CreateForgottenUsers1764800000200 implements MigrationInterface {
  name = 'CreateForgottenUsers1764800000200';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE forgotten_users (user_id UUID PRIMARY KEY, forgotten_at TIMESTAMPTZ NOT NULL)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE forgotten_users`);
  }
}

/**
 * Serialises, per user, the transactions that forget a user and those that record something new
 * about them: both `forgetUser` and `isForgotten` take it, so a sign-up handled at the same moment as
 * the deletion either commits first (and is then forgotten) or sees the user forgotten. Held until
 * the transaction ends; call both inside one.
 */
async function lockUser(sql: SqlRunner, userId: string): Promise<void> {
  await sql.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`forgotten-users:${userId}`]);
}

/** Remembers that `userId` is forgotten (idempotent: the first time stays). */
export async function forgetUser(sql: SqlRunner, userId: string, at: Date): Promise<void> {
  await lockUser(sql, userId);
  await sql.query(`INSERT INTO forgotten_users (user_id, forgotten_at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING`, [userId, at]);
}

/**
 * For a write that records something about a user only if they are not forgotten, in one statement
 * rather than a look-up and a write: take `holdUserAgainstForgetting` first (a statement of its own:
 * a statement's snapshot is taken when it starts, so a check in the statement that waited for the
 * lock would miss a deletion committed meanwhile), then make the write conditional on
 * `notForgotten('$n')`, `$n` being the user id's parameter; the write affecting no row means
 * forgotten. Same guarantee as `isForgotten`, one round trip fewer.
 */
export const holdUserAgainstForgetting: (sql: SqlRunner, userId: string) => Promise<void> = lockUser;

/** The SQL condition "the user whose id is `userIdParameter` (e.g. `'$7'`) is not forgotten"; see holdUserAgainstForgetting. */
export function notForgotten(userIdParameter: string): string {
  return `NOT EXISTS (SELECT 1 FROM forgotten_users WHERE user_id = ${userIdParameter}::uuid)`;
}

/** Whether `userId` was forgotten; call it in the transaction that would record something about them. */
export async function isForgotten(sql: SqlRunner, userId: string): Promise<boolean> {
  await lockUser(sql, userId);
  const rows = (await sql.query(`SELECT 1 FROM forgotten_users WHERE user_id = $1`, [userId])) as unknown[];
  return rows.length > 0;
}
