import type { EventContract } from './envelope/define-event.js';
import { UserSignedUpV1 } from './user/user-signed-up.v1.js';
import { UserSignedUpV2 } from './user/user-signed-up.v2.js';
import { NewsletterSubscribedV1 } from './newsletter/newsletter-subscribed.v1.js';
import { NewsletterUnsubscribedV1 } from './newsletter/newsletter-unsubscribed.v1.js';
import { OrderPlacedV1 } from './order/order-placed.v1.js';
import { OrderCancelledV1 } from './order/order-cancelled.v1.js';
import { WelcomeEmailSentV1 } from './email/welcome-email-sent.v1.js';
import { AccountDeletionRequestedV1 } from './user/account-deletion-requested.v1.js';
import { AccountDeletedV1 } from './user/account-deleted.v1.js';
import { NewsletterSubscriberForgottenV1 } from './newsletter/newsletter-subscriber-forgotten.v1.js';
import { RecipientForgottenV1 } from './email/recipient-forgotten.v1.js';
import { CustomerAnonymisedV1 } from './order/customer-anonymised.v1.js';
import { UserViewsDroppedV1 } from './read-model/user-views-dropped.v1.js';

/**
 * Every integration event of the shop, with its owner (the only service that publishes it).
 * A consumer of "everything" (the read model) resolves incoming messages against this list.
 * `retired`: a version the owner no longer publishes, kept because the stream still holds it.
 */
export const eventCatalogue = [
  // v1 carried the email and the name: still in the stream and read (upcast), no longer published (see user-signed-up.v2.ts).
  { contract: UserSignedUpV1, owner: 'user-service', retired: true },
  { contract: UserSignedUpV2, owner: 'user-service' },
  { contract: WelcomeEmailSentV1, owner: 'email-service' },
  { contract: NewsletterSubscribedV1, owner: 'newsletter-service' },
  { contract: NewsletterUnsubscribedV1, owner: 'newsletter-service' },
  { contract: OrderPlacedV1, owner: 'order-service' },
  { contract: OrderCancelledV1, owner: 'order-service' },
  // The account deletion: user-service's process manager asks, each participant answers, user-service closes.
  { contract: AccountDeletionRequestedV1, owner: 'user-service' },
  { contract: NewsletterSubscriberForgottenV1, owner: 'newsletter-service' },
  { contract: RecipientForgottenV1, owner: 'email-service' },
  { contract: CustomerAnonymisedV1, owner: 'order-service' },
  { contract: UserViewsDroppedV1, owner: 'read-model-service' },
  { contract: AccountDeletedV1, owner: 'user-service' },
] as const satisfies ReadonlyArray<{ contract: EventContract; owner: string; retired?: boolean }>;

/** Finds the contract for an event's name and version, if the shop knows it. */
export function contractFor(type: string, version: number): EventContract | undefined {
  return eventCatalogue.find(({ contract }) => contract.name === type && contract.version === version)?.contract;
}
