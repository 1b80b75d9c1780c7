import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A sent-email row is now written before the send, as the intent (`sending`), and marked `sent`
 * after SMTP accepted it; `sent_at` is known only then. Rows from before were all sent.
 */
export class TrackSendingState1732300000400 implements MigrationInterface {
  name = 'TrackSendingState1732300000400';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE sent_emails ADD COLUMN state TEXT NOT NULL DEFAULT 'sent' CHECK (state IN ('sending', 'sent'))`);
    await db.query(`ALTER TABLE sent_emails ALTER COLUMN state DROP DEFAULT`);
    await db.query(`ALTER TABLE sent_emails ALTER COLUMN sent_at DROP NOT NULL`);
    await db.query(`ALTER TABLE sent_emails ADD CONSTRAINT sent_emails_sent_at_when_sent CHECK ((state = 'sent') = (sent_at IS NOT NULL))`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM sent_emails WHERE state = 'sending'`);
    await db.query(`ALTER TABLE sent_emails DROP CONSTRAINT sent_emails_sent_at_when_sent`);
    await db.query(`ALTER TABLE sent_emails ALTER COLUMN sent_at SET NOT NULL`);
    await db.query(`ALTER TABLE sent_emails DROP COLUMN state`);
  }
}
