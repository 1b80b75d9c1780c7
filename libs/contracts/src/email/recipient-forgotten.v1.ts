import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope/define-event.js';

/**
 * email-service sent a user whose account is being deleted one last mail ("your account is
 * deleted"), then forgot their address and name, in its recipients and in its record of sent mails.
 * Published by email-service only, in answer to AccountDeletionRequested.
 */
export const RecipientForgottenV1 = defineEvent({
  name: 'RecipientForgotten',
  version: 1,
  context: 'email',
  schema: z.strictObject({
    userId: z.uuid(),
    /** False when email-service never knew an address for the user, so there was nobody to write to. */
    farewellMailSent: z.boolean(),
    forgottenAt: z.iso.datetime({ offset: true }),
  }),
});

export type RecipientForgottenV1 = EventOf<typeof RecipientForgottenV1>;
