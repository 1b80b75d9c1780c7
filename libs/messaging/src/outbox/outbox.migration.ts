import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox: `outbox_messages` holds events staged in the same transaction as the state change
 * that caused them. `transaction_id` (the writer's xid8) lets the relay publish only rows whose
 * transaction is older than every transaction still running, so a row that commits late is never
 * overtaken or skipped.
 *
 * Its name is kept from when it also created the inbox table (now `CreateInboxTable`): databases
 * that ran it know it by this name.
 */
export class CreateMessagingTables1732300000000 implements MigrationInterface {
  name = 'CreateMessagingTables1732300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE outbox_messages (
        id             BIGSERIAL PRIMARY KEY,
        event_id       UUID        NOT NULL UNIQUE,
        subject        TEXT        NOT NULL,
        aggregate_id   TEXT        NOT NULL,
        payload        JSONB       NOT NULL,
        headers        JSONB       NOT NULL DEFAULT '{}'::jsonb,
        transaction_id XID8        NOT NULL DEFAULT pg_current_xact_id(),
        created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
        published_at   TIMESTAMPTZ
      )`);
    await db.query(`CREATE INDEX outbox_messages_unpublished ON outbox_messages (transaction_id, id) WHERE published_at IS NULL`);
    await db.query(`CREATE INDEX outbox_messages_published_at ON outbox_messages (published_at) WHERE published_at IS NOT NULL`);
    // Wakes the relay right after commit (NOTIFY is delivered on commit); polling backs it up.
    await db.query(`
      CREATE FUNCTION outbox_messages_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('outbox_messages', '');
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER outbox_messages_notify AFTER INSERT ON outbox_messages
      FOR EACH STATEMENT EXECUTE FUNCTION outbox_messages_notify()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER outbox_messages_notify ON outbox_messages`);
    await db.query(`DROP FUNCTION outbox_messages_notify()`);
    await db.query(`DROP TABLE outbox_messages`);
  }
}
