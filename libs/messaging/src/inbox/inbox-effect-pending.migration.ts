import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `inbox_messages.effect_pending`: true while a handler's outside effect (an SMTP send) has been
 * recorded as intended but not yet as done, so a redelivery knows to repeat the effect rather than
 * skip the event (see `HandleOnce.run` with an OutsideEffect). Existing rows are done.
 */
export class AddInboxEffectPending1732300000002 implements MigrationInterface {
  name = 'AddInboxEffectPending1732300000002';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE inbox_messages ADD COLUMN effect_pending BOOLEAN NOT NULL DEFAULT false`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE inbox_messages DROP COLUMN effect_pending`);
  }
}
