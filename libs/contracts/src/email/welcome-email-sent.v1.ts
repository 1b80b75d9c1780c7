import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope/define-event.js';

/** The welcome email for a user went out. Published by email-service only. */
export const WelcomeEmailSentV1 = defineEvent({
  name: 'WelcomeEmailSent',
  version: 1,
  context: 'email',
  schema: z.strictObject({
    userId: z.uuid(),
    sentAt: z.iso.datetime({ offset: true }),
  }),
});

export type WelcomeEmailSentV1 = EventOf<typeof WelcomeEmailSentV1>;
