import {
  AccountDeletedV1,
  AccountDeletionRequestedV1,
  CustomerAnonymisedV1,
  NewsletterSubscriberForgottenV1,
  RecipientForgottenV1,
  UserViewsDroppedV1,
  type EventContract,
  type EventEnvelope,
  type EventOf,
  NewsletterSubscribedV1,
  NewsletterUnsubscribedV1,
  OrderCancelledV1,
  OrderPlacedV1,
  type PersonalData,
  UserSignedUpV1,
  UserSignedUpV2,
  WelcomeEmailSentV1,
} from '@eventshop/contracts';

/**
 * Every contract the read model projects. It follows the whole event catalogue: a unit test fails
 * when an event joins the catalogue without a projection here.
 */
export const PROJECTED_CONTRACTS = [
  UserSignedUpV1,
  UserSignedUpV2,
  WelcomeEmailSentV1,
  NewsletterSubscribedV1,
  NewsletterUnsubscribedV1,
  OrderPlacedV1,
  OrderCancelledV1,
  // The account deletion: the request drops the user's views; the rest is about a forgotten user and changes nothing.
  AccountDeletionRequestedV1,
  NewsletterSubscriberForgottenV1,
  RecipientForgottenV1,
  CustomerAnonymisedV1,
  UserViewsDroppedV1,
  AccountDeletedV1,
] as const;

type ProjectedContract = (typeof PROJECTED_CONTRACTS)[number];

/** An envelope whose `type` is the contract's literal name, so a `switch` on it narrows `data`. */
type Tagged<C extends ProjectedContract> = C extends ProjectedContract ? Omit<EventOf<C>, 'type'> & { readonly type: C['name'] } : never;

/** An event the read model knows how to project, already validated against its contract. */
export type ProjectableEvent = Tagged<ProjectedContract>;

/**
 * One event as the projections see it: the validated envelope plus its position in the events
 * stream. The position is stable (a replay sees the same numbers), which makes it a fair tie-breaker.
 */
export interface ProjectedEvent {
  readonly event: ProjectableEvent;
  readonly streamSequence: number;
  /**
   * For a UserSignedUp only: the user's email and name as user-service answered when it was
   * projected (events carry none; a v1 event's clear fields are never used), or null when the
   * account is already gone. ProjectionWriter fills it in.
   */
  readonly personalData?: PersonalData | null;
}

/** Narrows an envelope that already satisfied one of `PROJECTED_CONTRACTS` (the transport checked it). */
export function asProjectable(envelope: EventEnvelope): ProjectableEvent {
  if (!projectedContractFor(envelope.type, envelope.version)) {
    throw new Error(`the read model does not project ${envelope.type} v${envelope.version}`);
  }
  return envelope as unknown as ProjectableEvent;
}

/** The contract for a stored event's type and version, or undefined when the read model ignores it. */
export function projectedContractFor(type: string, version: number): EventContract | undefined {
  return PROJECTED_CONTRACTS.find((contract) => contract.name === type && contract.version === version);
}

/** Every event the read model projects is about exactly one user. */
export function userIdOf(event: ProjectableEvent): string {
  return event.data.userId;
}
