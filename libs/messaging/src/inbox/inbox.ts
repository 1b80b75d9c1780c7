import type { DataSource, EntityManager } from 'typeorm';

/**
 * The idempotent-consumer store (inbox). A handler records the event id in the same transaction as
 * its own writes; a redelivered event finds the row and is skipped, so its effects happen once.
 */
export const inbox = {
  /**
   * Serialises work on one (handler, event id) until the transaction ends, so a redelivery racing
   * a slow first attempt waits for it instead of running alongside. Takes no transaction id.
   */
  async lock(transaction: EntityManager, handler: string, eventId: string): Promise<void> {
    await transaction.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`${handler}:${eventId}`]);
  },

  /** Whether `handler` has already processed `eventId` (committed). */
  async seen(transaction: EntityManager, handler: string, eventId: string): Promise<boolean> {
    const rows: unknown[] = await transaction.query(
      `SELECT 1 FROM inbox_messages WHERE handler = $1 AND event_id = $2`,
      [handler, eventId],
    );
    return rows.length > 0;
  },

  /**
   * Records `eventId` as processed by `handler` inside `transaction`. Returns false when it already
   * was. A concurrent claim of the same id waits for the first transaction and then gets false.
   */
  async claim(transaction: EntityManager, handler: string, eventId: string): Promise<boolean> {
    const rows: unknown[] = await transaction.query(
      `INSERT INTO inbox_messages (handler, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
      [handler, eventId],
    );
    return rows.length === 1;
  },
};

export type ProcessOnceResult<T> = { processed: true; result: T } | { processed: false };

/**
 * Runs `work` at most once per (handler, event id), in one transaction with the inbox record.
 *
 * The advisory lock serialises concurrent deliveries of the same event; the inbox row is written
 * last, after `work`, so a transaction whose work is reads only takes a transaction id at the very
 * end (a long-running writer would hold back every outbox relay sharing this PostgreSQL server).
 * If `work` throws, nothing is recorded and a redelivery runs it again.
 */
export async function processOnce<T>(
  dataSource: DataSource,
  handler: string,
  eventId: string,
  work: (transaction: EntityManager) => Promise<T>,
): Promise<ProcessOnceResult<T>> {
  return dataSource.transaction(async (transaction) => {
    await inbox.lock(transaction, handler, eventId);
    if (await inbox.seen(transaction, handler, eventId)) return { processed: false };
    const result = await work(transaction);
    if (!(await inbox.claim(transaction, handler, eventId))) {
      // Cannot happen while everyone takes the lock; roll back rather than apply twice.
      throw new Error(`inbox row for ${handler}/${eventId} appeared concurrently`);
    }
    return { processed: true, result };
  });
}
