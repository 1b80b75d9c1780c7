import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope/define-event.js';
import type { UserSignedUpV1 } from './user-signed-up.v1.js';

/**
 * A user account was created. Published by user-service only. Carries **no personal data**: the
 * events stream is kept forever and cannot forget, so the email and the name stay in user-service,
 * and a consumer that needs them asks for them (`user.personal-data.get`, see personal-data.query.ts)
 * and keeps its own copy, which it forgets when the account is deleted. Never a secret either.
 */
export const UserSignedUpV2 = defineEvent({
  name: 'UserSignedUp',
  version: 2,
  context: 'user',
  schema: z.strictObject({
    userId: z.uuid(),
    newsletterOptIn: z.boolean(),
    occurredAt: z.iso.datetime({ offset: true }),
  }),
});

export type UserSignedUpV2 = EventOf<typeof UserSignedUpV2>;

/**
 * The upcaster: any version of UserSignedUp as the current one. v1 events, published before
 * accounts could be deleted, carry the email and the name in clear; they stay in the stream as they
 * are (events are facts: no rewrite of history), and this drops those fields, so a consumer reading
 * the stream from the start treats them exactly like v2 and gets personal data only from user-service
 * — which answers "gone" for a deleted account.
 */
export function upcastUserSignedUp(event: UserSignedUpV1 | UserSignedUpV2): UserSignedUpV2 {
  if (event.version === 2) return event;
  const { userId, newsletterOptIn, occurredAt } = event.data;
  return { ...event, version: 2, data: { userId, newsletterOptIn, occurredAt } };
}
