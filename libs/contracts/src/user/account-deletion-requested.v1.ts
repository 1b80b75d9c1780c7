import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope/define-event.js';

/**
 * The user asked for their account to be deleted (GDPR art. 17). Published by user-service only,
 * by its account-deletion process manager: once when the request is accepted, and again (a new
 * event, `attempt` + 1) for as long as some participant has not answered. Every participant
 * (newsletter, email, order, read model) forgets what it holds of the user and answers with its own
 * event; handling it twice is harmless. Carries no personal data: only the user id.
 */
export const AccountDeletionRequestedV1 = defineEvent({
  name: 'AccountDeletionRequested',
  version: 1,
  context: 'user',
  schema: z.strictObject({
    userId: z.uuid(),
    requestedAt: z.iso.datetime({ offset: true }),
    /** 1 for the request itself, then one more per retry of the silent participants. */
    attempt: z.number().int().positive(),
  }),
});

export type AccountDeletionRequestedV1 = EventOf<typeof AccountDeletionRequestedV1>;
