import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The inbox: `inbox_messages` holds (handler, event id) of every event a handler has processed,
 * written in the handler's own transaction, so a redelivered event finds its row and is skipped.
 *
 * `IF NOT EXISTS`: databases migrated before this migration existed got the table from
 * `CreateMessagingTables1732300000000`; for them this one only records itself.
 */
export class CreateInboxTable1732300000001 implements MigrationInterface {
  name = 'CreateInboxTable1732300000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE IF NOT EXISTS inbox_messages (
        handler      TEXT        NOT NULL,
        event_id     TEXT        NOT NULL,
        processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (handler, event_id)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS inbox_messages`);
  }
}
