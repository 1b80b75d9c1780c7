import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The order event store: one append-only stream of events per order (`stream_id` = order id).
 *
 * The primary key (stream_id, version) is what makes optimistic concurrency work: two writers that
 * both read version n both try to insert version n + 1, and exactly one of them can commit; the
 * other gets a unique violation (23505) on `order_events_pkey` instead of overwriting the first.
 */
export class CreateOrderEvents1732300000400 implements MigrationInterface {
  name = 'CreateOrderEvents1732300000400';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE order_events (
        stream_id   UUID        NOT NULL,
        version     INTEGER     NOT NULL CHECK (version > 0),
        type        TEXT        NOT NULL,
        data        JSONB       NOT NULL,
        metadata    JSONB       NOT NULL DEFAULT '{}'::jsonb,
        recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        CONSTRAINT order_events_pkey PRIMARY KEY (stream_id, version)
      )`);
    // "My orders, newest first" starts from each order's first event.
    await db.query(`
      CREATE INDEX order_events_placed_by ON order_events ((data->>'userId'), recorded_at DESC)
      WHERE type = 'OrderPlaced'`);
    // Events are facts: the database itself refuses to change or remove one.
    await db.query(`
      CREATE FUNCTION order_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'order_events is append-only: % is not allowed', TG_OP;
      END $$`);
    await db.query(`
      CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON order_events
      FOR EACH STATEMENT EXECUTE FUNCTION order_events_append_only()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE order_events`);
    await db.query(`DROP FUNCTION order_events_append_only()`);
  }
}
