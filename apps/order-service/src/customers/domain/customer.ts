/**
 * A customer as order-service knows them: its own replica of the accounts user-service announced
 * with `UserSignedUp`, so placing an order needs no synchronous call to user-service. It keeps only
 * what ordering needs (that the account exists), none of the user's personal data.
 */
export interface Customer {
  readonly userId: string;
  readonly signedUpAt: Date;
}

/**
 * The caller holds a valid token but their `UserSignedUp` has not reached order-service yet. The
 * replica lags by the outbox and consumer hop (normally well under a second), so this is transient:
 * the same request succeeds once the event has arrived.
 */
export class UnknownCustomerError extends Error {
  constructor(readonly userId: string) {
    super('Your account is not known to the order service yet (your sign-up is still on its way); please retry shortly');
    this.name = 'UnknownCustomerError';
  }
}

/** The caller's account was deleted: the customer is anonymised and places no more orders. */
export class CustomerGoneError extends Error {
  constructor(readonly userId: string) {
    super('This account was deleted; it can place no orders');
    this.name = 'CustomerGoneError';
  }
}
