import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope/define-event.js';

/**
 * A user account was created. Published by user-service only.
 * Carries no secret: never the password nor its hash.
 */
export const UserSignedUpV1 = defineEvent({
  name: 'UserSignedUp',
  version: 1,
  context: 'user',
  schema: z.strictObject({
    userId: z.uuid(),
    email: z.email(),
    name: z.string().min(1).max(100),
    newsletterOptIn: z.boolean(),
    occurredAt: z.iso.datetime({ offset: true }),
  }),
});

export type UserSignedUpV1 = EventOf<typeof UserSignedUpV1>;
