import { AccountDeletedV1, AccountDeletionRequestedV1 } from '@eventshop/contracts';
import { type IntegrationEvent, integrationEvent } from '@eventshop/messaging';
import type { AccountDeletionEvent, AccountDeletionState } from '../domain/account-deletion.js';

/**
 * What the rest of the system hears of the process: the request (again on each retry, with the
 * attempt number) and the completion. Answers and a stuck deletion announce nothing on the events
 * stream (a stuck one is reported as a dead letter, see AccountDeletionTimer). Pure.
 */
export function accountDeletionIntegrationEvents(event: AccountDeletionEvent, after: AccountDeletionState): readonly IntegrationEvent[] {
  if (!after) return [];
  const { userId } = after;
  switch (event.type) {
    case 'DeletionRequested':
      return [integrationEvent(AccountDeletionRequestedV1, { userId, requestedAt: event.at.toISOString(), attempt: 1 }, { aggregateId: userId })];
    case 'SilentParticipantsAskedAgain':
      return [
        integrationEvent(
          AccountDeletionRequestedV1,
          { userId, requestedAt: after.requestedAt.toISOString(), attempt: event.attempt },
          { aggregateId: userId },
        ),
      ];
    case 'DeletionCompleted':
      return [
        integrationEvent(
          AccountDeletedV1,
          { userId, requestedAt: after.requestedAt.toISOString(), deletedAt: event.at.toISOString() },
          { aggregateId: userId },
        ),
      ];
    default:
      return [];
  }
}
