import type { MigrationInterface } from 'typeorm';
import { CreateMessagingTables1732300000000 } from './outbox/outbox.migration.js';
import { CreateInboxTable1732300000001 } from './inbox/inbox.migration.js';
import { AddInboxEffectPending1732300000002 } from './inbox/inbox-effect-pending.migration.js';
import { OutboxDeletesPublishedRows1732300000003 } from './outbox/outbox-deletes-published.migration.js';

/**
 * The bus's own tables (outbox, inbox), in order: every service runs these before its own
 * migrations. Add to the end; never rename one that has shipped.
 */
export const messagingMigrations: ReadonlyArray<new () => MigrationInterface> = [
  CreateMessagingTables1732300000000,
  CreateInboxTable1732300000001,
  AddInboxEffectPending1732300000002,
  OutboxDeletesPublishedRows1732300000003,
];
