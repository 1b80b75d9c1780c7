/**
 * The injection token of the read model's PersonalDataSource (`@eventshop/messaging`): where the
 * projection of a sign-up gets the user's email and name — user-service, over NATS. The read model
 * keeps that copy only until the account is deleted (AccountDeletionRequested drops it).
 */
export const PERSONAL_DATA = Symbol('PERSONAL_DATA');
