import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope/define-event.js';

/** A user is now subscribed to the newsletter. Published by newsletter-service only. */
export const NewsletterSubscribedV1 = defineEvent({
  name: 'NewsletterSubscribed',
  version: 1,
  context: 'newsletter',
  schema: z.strictObject({
    userId: z.uuid(),
    /** `signup`: opted in when signing up; `resubscribe`: came back while signed in. */
    reason: z.enum(['signup', 'resubscribe']),
    subscribedAt: z.iso.datetime({ offset: true }),
  }),
});

export type NewsletterSubscribedV1 = EventOf<typeof NewsletterSubscribedV1>;
