import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox becomes a queue: the relay deletes a row once the stream has acked it, instead of
 * marking it published and deleting it a day later. The stream is the record of what was
 * published (and what replays read); a row in `outbox_messages` now always means "not yet
 * published".
 *
 * Why: marking wrote a new version of each row (PostgreSQL cannot update in place a column that an
 * index's predicate reads) with three index entries, and the unique one checked — ~3.7 ms of a
 * 500-row batch in the server, where deleting them takes ~0.6 ms; the relay drained a backlog
 * ~20 % faster. Rows already published are deleted here; pending ones are kept, in the relay's order.
 */
export class OutboxDeletesPublishedRows1732300000003 implements MigrationInterface {
  name = 'OutboxDeletesPublishedRows1732300000003';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM outbox_messages WHERE published_at IS NOT NULL`);
    await db.query(`DROP INDEX outbox_messages_published_at`);
    await db.query(`DROP INDEX outbox_messages_unpublished`);
    await db.query(`ALTER TABLE outbox_messages DROP COLUMN published_at`);
    await db.query(`CREATE INDEX outbox_messages_relay_order ON outbox_messages (transaction_id, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX outbox_messages_relay_order`);
    await db.query(`ALTER TABLE outbox_messages ADD COLUMN published_at TIMESTAMPTZ`);
    await db.query(`CREATE INDEX outbox_messages_unpublished ON outbox_messages (transaction_id, id) WHERE published_at IS NULL`);
    await db.query(`CREATE INDEX outbox_messages_published_at ON outbox_messages (published_at) WHERE published_at IS NOT NULL`);
  }
}
