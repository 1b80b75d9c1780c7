/**
 * A user's newsletter subscription, as newsletter-service keeps it. The user id is all it stores
 * about a person: the mails themselves are email-service's job, so no address or name is kept here.
 *
 * There is a subscription only for a user who opted in at sign-up or has chosen since; a user who
 * opted out at sign-up and never chose again has none, and reads as "not subscribed, never was".
 */
export interface Subscription {
  readonly userId: string;
  /** Whether the newsletter goes to this user. */
  readonly subscribed: boolean;
  /** When `subscribed` took its current value. */
  readonly since: Date;
}

export type SubscribeReason = 'signup' | 'resubscribe';
export type UnsubscribeChannel = 'link' | 'account';

/** Everything that can happen to a subscription. `at` is when the user made the choice. */
export type SubscriptionCommand =
  /** The user's sign-up arrived, with their newsletter choice. */
  | { readonly kind: 'sign-up'; readonly optedIn: boolean; readonly at: Date }
  /** The signed-in user asks for the newsletter. */
  | { readonly kind: 'subscribe'; readonly at: Date }
  /** The user leaves, through the signed link in an email or while signed in. */
  | { readonly kind: 'unsubscribe'; readonly via: UnsubscribeChannel; readonly at: Date };

/** What the rest of the shop is told; one of these becomes one integration event. */
export type SubscriptionEvent =
  | { readonly type: 'subscribed'; readonly userId: string; readonly reason: SubscribeReason; readonly at: Date }
  | { readonly type: 'unsubscribed'; readonly userId: string; readonly via: UnsubscribeChannel; readonly at: Date };

/** The outcome of a command that changes something: the state to store and what to announce, if anything. */
export interface Transition {
  readonly next: Subscription;
  /** Null when the stored state changes but no subscription began or ended (see `decide`). */
  readonly event: SubscriptionEvent | null;
}

/**
 * The subscription rules, as one pure function: given the current subscription (null: none yet),
 * what `command` changes. Returns null when it changes nothing, so a repeated command (a second
 * click on the same link, a retried request) stores nothing and announces nothing.
 *
 * - Sign-up: an opted-in user becomes subscribed (`signup`); an opted-out one is not stored at all.
 *   A sign-up never overrides a choice already recorded. Events travel asynchronously, so a user can
 *   use their account or an unsubscribe link before their own sign-up reaches this service; such a
 *   choice is necessarily later than the sign-up (an account must exist to have a token or a link),
 *   so it is the user's latest wish and wins.
 * - Subscribe: anyone not subscribed becomes subscribed (`resubscribe`), known yet or not.
 * - Unsubscribe: a subscribed user stops being one. An unsubscribe from a user with no subscription
 *   yet is still recorded, so that their sign-up arriving later cannot subscribe them against their
 *   wish, but announces nothing: no subscription ended.
 */
export function decide(userId: string, current: Subscription | null, command: SubscriptionCommand): Transition | null {
  switch (command.kind) {
    case 'sign-up': {
      if (current !== null || !command.optedIn) return null;
      return subscribed(userId, 'signup', command.at);
    }
    case 'subscribe': {
      if (current?.subscribed) return null;
      return subscribed(userId, 'resubscribe', command.at);
    }
    case 'unsubscribe': {
      if (current !== null && !current.subscribed) return null;
      const next = { userId, subscribed: false, since: command.at };
      return { next, event: current === null ? null : { type: 'unsubscribed', userId, via: command.via, at: command.at } };
    }
  }
}

function subscribed(userId: string, reason: SubscribeReason, at: Date): Transition {
  return { next: { userId, subscribed: true, since: at }, event: { type: 'subscribed', userId, reason, at } };
}

/** What the API shows: `since` is when the current state began, null for someone never subscribed. */
export interface SubscriptionStatus {
  readonly subscribed: boolean;
  readonly since: string | null;
}

export function toSubscriptionStatus(subscription: Subscription | null): SubscriptionStatus {
  return subscription
    ? { subscribed: subscription.subscribed, since: subscription.since.toISOString() }
    : { subscribed: false, since: null };
}
