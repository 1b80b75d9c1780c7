import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The account-deletion process manager's state (one row per user who asked), and the flag that
 * shuts a user out at once while the deletion runs.
 */
export class CreateAccountDeletions1764800000100 implements MigrationInterface {
  name = 'CreateAccountDeletions1764800000100';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMPTZ`);
    await db.query(`
      CREATE TABLE account_deletions (
        user_id                  UUID        PRIMARY KEY,
        status                   TEXT        NOT NULL,
        requested_at             TIMESTAMPTZ NOT NULL,
        attempts                 INTEGER     NOT NULL,
        next_retry_at            TIMESTAMPTZ NOT NULL,
        deadline_at              TIMESTAMPTZ NOT NULL,
        newsletter_answered_at   TIMESTAMPTZ,
        email_answered_at        TIMESTAMPTZ,
        order_answered_at        TIMESTAMPTZ,
        read_model_answered_at   TIMESTAMPTZ,
        stuck_at                 TIMESTAMPTZ,
        stuck_reported_at        TIMESTAMPTZ,
        completed_at             TIMESTAMPTZ,
        updated_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
        CONSTRAINT account_deletions_status CHECK (status IN ('in-progress', 'stuck', 'completed'))
      )`);
    // The timer's scan: only unfinished deletions, by when they next need a look.
    await db.query(`CREATE INDEX account_deletions_due ON account_deletions (next_retry_at) WHERE status = 'in-progress'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE account_deletions`);
    await db.query(`ALTER TABLE users DROP COLUMN deactivated_at`);
  }
}
