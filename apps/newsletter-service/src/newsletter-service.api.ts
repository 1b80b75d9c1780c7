import { z } from 'zod';
import type { ZodOpenApiResponseObject } from 'zod-openapi';
import { type ApiRoute, HttpErrorBody, type ServiceApi, ValidationErrorBody } from '@eventshop/platform';
import { manifest } from './config.js';
import type { SubscriptionStatus } from './subscriptions/domain/subscription.js';
import { InvalidUnsubscribeLinkError } from './unsubscribe-via-link/unsubscribe-via-link.handler.js';
import { UnsubscribeLinkQuery } from './unsubscribe-via-link/unsubscribe-via-link.request.dto.js';
import { INCOMPLETE_LINK_MESSAGE } from './unsubscribe-via-link/unsubscribe-via-link.page.js';

/** Every route's answer; `satisfies` keeps it in step with the handlers' type. */
const SubscriptionStatusBody = z.object({
  subscribed: z.boolean(),
  since: z.iso.datetime().nullable().meta({ description: 'When the current state began; null: never subscribed' }),
}) satisfies z.ZodType<SubscriptionStatus>;

const subscribed: SubscriptionStatus = { subscribed: true, since: '2026-01-15T09:30:01.000Z' };
const unsubscribed: SubscriptionStatus = { subscribed: false, since: '2026-02-01T18:00:00.000Z' };

/** A link is followed in a browser: a page by default, JSON for `Accept: application/json`. */
function pageOrJson(description: string, json: z.ZodType, example: unknown): ZodOpenApiResponseObject {
  return {
    description,
    content: {
      'text/html': { schema: z.string().meta({ description: 'A short page for the person who clicked' }) },
      'application/json': { schema: json, example },
    },
  };
}

const linkRoute = (method: 'get' | 'post', summary: string, description: string): ApiRoute => ({
  method,
  path: '/subscriptions/unsubscribe',
  summary,
  description,
  tag: 'unsubscribe link',
  auth: 'public',
  query: UnsubscribeLinkQuery,
  success: { status: 200, description: 'Unsubscribed (also when already): a page, or the status as JSON', contentType: ['text/html', 'application/json'], schema: z.string().or(SubscriptionStatusBody), example: unsubscribed },
  errors: {
    400: pageOrJson(`The link is incomplete (the page says: "${INCOMPLETE_LINK_MESSAGE}")`, ValidationErrorBody, {
      statusCode: 400,
      error: 'Bad Request',
      message: 'Validation failed',
      errors: [{ field: 'sig', message: 'is required' }],
    }),
    403: pageOrJson('The signature is not ours for that user', HttpErrorBody, { statusCode: 403, error: 'Forbidden', message: new InvalidUnsubscribeLinkError().message }),
  },
});

const meRoute = (method: 'get' | 'post' | 'delete', summary: string, description: string, example: SubscriptionStatus): ApiRoute => ({
  method,
  path: '/subscriptions/me',
  summary,
  description,
  tag: 'my subscription',
  auth: 'bearer',
  success: { status: 200, description: "The caller's subscription afterwards", schema: SubscriptionStatusBody, example },
});

const routes: ApiRoute[] = [
  meRoute('get', "The caller's newsletter subscription", 'Only ever the caller’s own: who is subscribed is personal data. `{subscribed: false, since: null}` also while the sign-up has not arrived yet.', subscribed),
  meRoute('post', 'Subscribe (again)', 'Idempotent: `200` also when already subscribed. Publishes `NewsletterSubscribed` on a change.', subscribed),
  meRoute('delete', 'Unsubscribe', 'Idempotent: `200` also when not subscribed. Publishes `NewsletterUnsubscribed` on a change.', unsubscribed),
  linkRoute('get', 'Unsubscribe through the link in the welcome email', 'The link (`?user=<id>&sig=<HMAC>`) is signed by email-service with the shared NEWSLETTER_LINK_SECRET. Answers a page, or JSON for `Accept: application/json`.'),
  linkRoute('post', 'One-click unsubscribe (RFC 8058)', "A mail client's unsubscribe button POSTs `List-Unsubscribe=One-Click` to the `List-Unsubscribe` URL; the body is ignored."),
];

/** newsletter-service's HTTP API, for its OpenAPI document (`/docs`). */
export const newsletterServiceApi: ServiceApi = {
  service: manifest.name,
  version: manifest.version,
  description: 'Newsletter subscriptions: opt-ins arrive with `UserSignedUp`; changes publish `NewsletterSubscribed` / `NewsletterUnsubscribed`.',
  routes,
};
