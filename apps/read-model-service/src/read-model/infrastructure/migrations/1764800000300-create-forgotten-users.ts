import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createForgottenUsersTable, LIVE_SCHEMA } from '../projection-tables.js';

/**
 * The forgotten-users table in a live schema made before account deletion existed (a fresh one,
 * and every rebuild, gets it from createProjectionTables).
 */
export class CreateForgottenUsers1764800000300 implements MigrationInterface {
  name = 'CreateForgottenUsers1764800000300';

  async up(db: QueryRunner): Promise<void> {
    await createForgottenUsersTable(db, LIVE_SCHEMA);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE ${LIVE_SCHEMA}.forgotten_users`);
  }
}
