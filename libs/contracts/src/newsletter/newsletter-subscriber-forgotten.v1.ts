import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope/define-event.js';

/**
 * newsletter-service unsubscribed a user whose account is being deleted and forgot their
 * subscription. Published by newsletter-service only, in answer to AccountDeletionRequested (again
 * for every repeat of it: the answer is what the process manager waits for).
 */
export const NewsletterSubscriberForgottenV1 = defineEvent({
  name: 'NewsletterSubscriberForgotten',
  version: 1,
  context: 'newsletter',
  schema: z.strictObject({
    userId: z.uuid(),
    /** Whether the user was subscribed when the request came (false: there was nothing to stop). */
    wasSubscribed: z.boolean(),
    forgottenAt: z.iso.datetime({ offset: true }),
  }),
});

export type NewsletterSubscriberForgottenV1 = EventOf<typeof NewsletterSubscriberForgottenV1>;
