import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope/define-event.js';

/**
 * Every participant has forgotten the user and user-service has erased the account: the deletion is
 * complete. Published by user-service only. Carries no personal data.
 */
export const AccountDeletedV1 = defineEvent({
  name: 'AccountDeleted',
  version: 1,
  context: 'user',
  schema: z.strictObject({
    userId: z.uuid(),
    requestedAt: z.iso.datetime({ offset: true }),
    deletedAt: z.iso.datetime({ offset: true }),
  }),
});

export type AccountDeletedV1 = EventOf<typeof AccountDeletedV1>;
