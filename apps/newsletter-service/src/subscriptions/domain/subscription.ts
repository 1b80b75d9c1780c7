import type { Decider } from '@eventshop/domain';

/**
 * A user's newsletter subscription, as newsletter-service keeps it: a {@link Decider}
 * (`subscriptionDecider`, after `evolve` below) whose state is stored, not its events. The user id
 * is all it stores about a person: the mails themselves are email-service's job, so no address or
 * name is kept here.
 *
 * There is a subscription only for a user who opted in at sign-up or has chosen since; a user who
 * opted out at sign-up and never chose again has none (`initialState` is null), and reads as "not
 * subscribed, never was".
 *
 * Pure: no framework, no database, no clock (the time comes in with the command).
 */
export interface Subscription {
  readonly userId: string;
  /** Whether the newsletter goes to this user. */
  readonly subscribed: boolean;
  /** When `subscribed` took its current value. */
  readonly since: Date;
}

/** Before the user's first choice reaches this service there is no subscription. */
export type SubscriptionState = Subscription | null;

export type SubscribeReason = 'signup' | 'resubscribe';
export type UnsubscribeChannel = 'link' | 'account';

// --- commands: what is asked of a subscription. `at` is when the user made the choice ---------------

/** The user's sign-up arrived, with their newsletter choice. */
export interface RecordSignUp {
  readonly type: 'RecordSignUp';
  readonly userId: string;
  readonly optedIn: boolean;
  readonly at: Date;
}

/** The signed-in user asks for the newsletter. */
export interface Subscribe {
  readonly type: 'Subscribe';
  readonly userId: string;
  readonly at: Date;
}

/** The user leaves, through the signed link in an email or while signed in. */
export interface Unsubscribe {
  readonly type: 'Unsubscribe';
  readonly userId: string;
  readonly via: UnsubscribeChannel;
  readonly at: Date;
}

export type SubscriptionCommand = RecordSignUp | Subscribe | Unsubscribe;

// --- events: what happened to a subscription ------------------------------------------------------------

export interface NewsletterSubscribed {
  readonly type: 'NewsletterSubscribed';
  readonly data: { readonly userId: string; readonly reason: SubscribeReason; readonly subscribedAt: Date };
}

export interface NewsletterUnsubscribed {
  readonly type: 'NewsletterUnsubscribed';
  readonly data: { readonly userId: string; readonly via: UnsubscribeChannel; readonly unsubscribedAt: Date };
}

/**
 * A user with no subscription yet said no. Remembered, so that their sign-up arriving later cannot
 * subscribe them against their wish; announced to no one, as no subscription ended.
 */
export interface NewsletterDeclined {
  readonly type: 'NewsletterDeclined';
  readonly data: { readonly userId: string; readonly via: UnsubscribeChannel; readonly declinedAt: Date };
}

export type SubscriptionEvent = NewsletterSubscribed | NewsletterUnsubscribed | NewsletterDeclined;

// --- decide ------------------------------------------------------------------------------------------

/**
 * The subscription rules: the events `command` causes on the subscription in `state`. None when it
 * changes nothing, so a repeated command (a second click on the same link, a retried request) stores
 * nothing and announces nothing. No command is refused.
 *
 * - Sign-up: an opted-in user becomes subscribed (`signup`); an opted-out one is not stored at all.
 *   A sign-up never overrides a choice already recorded. Events travel asynchronously, so a user can
 *   use their account or an unsubscribe link before their own sign-up reaches this service; such a
 *   choice is necessarily later than the sign-up (an account must exist to have a token or a link),
 *   so it is the user's latest wish and wins.
 * - Subscribe: anyone not subscribed becomes subscribed (`resubscribe`), known yet or not.
 * - Unsubscribe: a subscribed user stops being one. A user with no subscription yet has declined
 *   (see {@link NewsletterDeclined}).
 */
export function decide(command: SubscriptionCommand, state: SubscriptionState): SubscriptionEvent[] {
  const { userId, at } = command;
  switch (command.type) {
    case 'RecordSignUp':
      if (state !== null || !command.optedIn) return [];
      return [{ type: 'NewsletterSubscribed', data: { userId, reason: 'signup', subscribedAt: at } }];
    case 'Subscribe':
      if (state?.subscribed) return [];
      return [{ type: 'NewsletterSubscribed', data: { userId, reason: 'resubscribe', subscribedAt: at } }];
    case 'Unsubscribe':
      if (state === null) return [{ type: 'NewsletterDeclined', data: { userId, via: command.via, declinedAt: at } }];
      if (!state.subscribed) return [];
      return [{ type: 'NewsletterUnsubscribed', data: { userId, via: command.via, unsubscribedAt: at } }];
  }
}

// --- evolve ------------------------------------------------------------------------------------------

/** The subscription after `event`: each event sets whether the user is subscribed, and since when. */
export function evolve(_state: SubscriptionState, event: SubscriptionEvent): Subscription {
  switch (event.type) {
    case 'NewsletterSubscribed':
      return { userId: event.data.userId, subscribed: true, since: event.data.subscribedAt };
    case 'NewsletterUnsubscribed':
      return { userId: event.data.userId, subscribed: false, since: event.data.unsubscribedAt };
    case 'NewsletterDeclined':
      return { userId: event.data.userId, subscribed: false, since: event.data.declinedAt };
  }
}

/** The subscription rules as one value, for the runner that executes subscription commands. */
export const subscriptionDecider: Decider<SubscriptionCommand, SubscriptionEvent, SubscriptionState> = {
  decide,
  evolve,
  initialState: null,
};

// --- what the API shows ------------------------------------------------------------------------------

/** `since` is when the current state began, null for someone never subscribed. */
export interface SubscriptionStatus {
  readonly subscribed: boolean;
  readonly since: string | null;
}

export function toSubscriptionStatus(subscription: SubscriptionState): SubscriptionStatus {
  return subscription
    ? { subscribed: subscription.subscribed, since: subscription.since.toISOString() }
    : { subscribed: false, since: null };
}
