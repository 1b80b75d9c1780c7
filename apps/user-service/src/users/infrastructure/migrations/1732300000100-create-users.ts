import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateUsers1732300000100 implements MigrationInterface {
  name = 'CreateUsers1732300000100';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        id                UUID        PRIMARY KEY,
        email             TEXT        NOT NULL,
        name              TEXT        NOT NULL,
        password_hash     TEXT        NOT NULL,
        newsletter_opt_in BOOLEAN     NOT NULL DEFAULT false,
        created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
        CONSTRAINT users_email_unique UNIQUE (email),
        CONSTRAINT users_email_normalised CHECK (email = lower(btrim(email)))
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE users`);
  }
}
