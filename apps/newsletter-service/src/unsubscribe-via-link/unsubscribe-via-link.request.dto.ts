import { z } from 'zod';

/**
 * The query of an unsubscribe link, `?user=<user id>&sig=<signature>`, as email-service writes it
 * (`<NEWSLETTER_PUBLIC_URL>/subscriptions/unsubscribe?…`). Shape only: whether the signature is ours
 * is the handler's job.
 */
export const UnsubscribeLinkQuery = z.object({
  user: z.uuid({ error: 'is required and must be the user id from the link' }),
  // An HMAC-SHA256 in base64url is 43 characters; the bound only keeps garbage short.
  sig: z.string({ error: 'is required' }).min(1, 'is required').max(128, 'is too long'),
});

export type UnsubscribeLinkQuery = z.output<typeof UnsubscribeLinkQuery>;
