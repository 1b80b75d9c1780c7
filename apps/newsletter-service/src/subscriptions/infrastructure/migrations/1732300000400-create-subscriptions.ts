import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSubscriptions1732300000400 implements MigrationInterface {
  name = 'CreateSubscriptions1732300000400';

  async up(db: QueryRunner): Promise<void> {
    // The user id and nothing else about the person: no email, no name (see domain/subscription.ts).
    await db.query(`
      CREATE TABLE subscriptions (
        user_id    UUID        PRIMARY KEY,
        subscribed BOOLEAN     NOT NULL,
        since      TIMESTAMPTZ NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE subscriptions`);
  }
}
