import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateRecipients1732300000300 implements MigrationInterface {
  name = 'CreateRecipients1732300000300';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE recipients (
        user_id UUID PRIMARY KEY,
        email   TEXT NOT NULL,
        name    TEXT NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE recipients`);
  }
}
