import type { SqlRunner } from './projection-tables.js';

/*
 * The handshake between live projection and a rebuild's swap, as one PostgreSQL advisory lock taken
 * for the length of a transaction: every live projection transaction holds it shared, the swap holds
 * it exclusive. So the swap starts only once no live write is in flight, and live writes wait (they
 * are not lost: the message stays unacked) until the new generation is in place.
 */
const SCHEMA_SWAP_LOCK = 'read-model:schema-swap';

/**
 * Taken by a live projection transaction before it touches a projection table. Its later statements
 * then resolve `read_model.*` after any swap that was waiting has committed, i.e. to the new tables.
 *
 * `thenLock` names an exclusive transaction-level advisory lock to take in the same statement, right
 * after (one round trip where two calls took two: the round trips are what an event costs). The
 * swap lock is taken in a subquery of the FROM clause, which PostgreSQL runs before the outer select
 * list (a subquery calling a volatile function is never folded into its parent), so it still comes
 * first: a transaction waiting for a swap holds no lock the swap's own replay needs (it takes users'
 * locks), so no deadlock.
 */
export async function holdOffSchemaSwap(transaction: SqlRunner, thenLock?: string): Promise<void> {
  if (thenLock === undefined) {
    await transaction.query(`SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))`, [SCHEMA_SWAP_LOCK]);
    return;
  }
  await transaction.query(
    `SELECT pg_advisory_xact_lock(hashtextextended($2, 0))
       FROM (SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))) AS swap_lock_first`,
    [SCHEMA_SWAP_LOCK, thenLock],
  );
}

/** Taken by the swap: waits for live projection transactions in flight and holds off new ones until commit. */
export async function excludeLiveProjection(transaction: SqlRunner): Promise<void> {
  await transaction.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [SCHEMA_SWAP_LOCK]);
}
