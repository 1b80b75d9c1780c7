import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCustomers1732300000410 implements MigrationInterface {
  name = 'CreateCustomers1732300000410';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE customers (
        user_id      UUID        PRIMARY KEY,
        signed_up_at TIMESTAMPTZ NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE customers`);
  }
}
