/** Who an email goes to, as email-service knows them (its own copy, fed by UserSignedUp). */
export interface Recipient {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
}

/** An order event arrived before the user's sign-up did: retry later, the sign-up is on its way. */
export class UnknownRecipientError extends Error {
  constructor(readonly userId: string) {
    super(`no recipient known yet for user ${userId}`);
    this.name = 'UnknownRecipientError';
  }
}
