import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSentEmails1732300000200 implements MigrationInterface {
  name = 'CreateSentEmails1732300000200';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE sent_emails (
        event_id       UUID        PRIMARY KEY,
        kind           TEXT        NOT NULL,
        recipient      TEXT        NOT NULL,
        subject        TEXT        NOT NULL,
        message_id     TEXT        NOT NULL,
        correlation_id TEXT        NOT NULL,
        sent_at        TIMESTAMPTZ NOT NULL
      )`);
    await db.query(`CREATE INDEX sent_emails_recipient ON sent_emails (recipient)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE sent_emails`);
  }
}
