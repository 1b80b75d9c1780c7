import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createProjectionTables, LIVE_SCHEMA } from '../projection-tables.js';

/**
 * The first generation of the projection tables, empty; the live consumer fills them from the start
 * of the event history. Later shape changes go through a rebuild, not through ALTER migrations (see
 * projection-tables.ts). The inbox used against duplicates comes with the bus's own migration.
 */
export class CreateReadModel1732300000500 implements MigrationInterface {
  name = 'CreateReadModel1732300000500';

  async up(db: QueryRunner): Promise<void> {
    await createProjectionTables(db, LIVE_SCHEMA);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP SCHEMA ${LIVE_SCHEMA} CASCADE`);
  }
}
