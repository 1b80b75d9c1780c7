import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope/define-event.js';
import { PERSONAL } from '../personal-data.js';

/**
 * A user account was created. Published by user-service only — **until** accounts could be deleted:
 * this version carries the user's email and name in clear (marked personal), and the events stream
 * keeps them forever. user-service now publishes {@link UserSignedUpV2}, which carries none; v1
 * events already in the stream stay valid and replayable, and consumers read them through
 * `upcastUserSignedUp`, which drops the personal fields (see the README section "Personal data
 * and the right to be forgotten").
 * Carries no secret: never the password nor its hash.
 */
export const UserSignedUpV1 = defineEvent({
  name: 'UserSignedUp',
  version: 1,
  context: 'user',
  schema: z.strictObject({
    userId: z.uuid(),
    email: z.email().meta(PERSONAL),
    name: z.string().min(1).max(100).meta(PERSONAL),
    newsletterOptIn: z.boolean(),
    occurredAt: z.iso.datetime({ offset: true }),
  }),
});

export type UserSignedUpV1 = EventOf<typeof UserSignedUpV1>;
