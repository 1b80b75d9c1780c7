import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope/define-event.js';

/** A user left the newsletter. Published by newsletter-service only. */
export const NewsletterUnsubscribedV1 = defineEvent({
  name: 'NewsletterUnsubscribed',
  version: 1,
  context: 'newsletter',
  schema: z.strictObject({
    userId: z.uuid(),
    /** `link`: the signed link in an email; `account`: while signed in. */
    via: z.enum(['link', 'account']),
    unsubscribedAt: z.iso.datetime({ offset: true }),
  }),
});

export type NewsletterUnsubscribedV1 = EventOf<typeof NewsletterUnsubscribedV1>;
