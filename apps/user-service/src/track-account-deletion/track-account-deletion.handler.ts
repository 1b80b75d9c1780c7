import { Injectable } from '@nestjs/common';
import type { HandleOnce } from '@eventshop/messaging';
import type { Participant } from '../account-deletion/domain/account-deletion.js';
import { AccountDeletionCommands } from '../account-deletion/infrastructure/account-deletion-commands.js';

/** The handler names (consumer groups `user-service__<name>`), one per participant's answer. */
export const RECORD_NEWSLETTER_FORGOTTEN = 'record-newsletter-forgotten';
export const RECORD_RECIPIENT_FORGOTTEN = 'record-recipient-forgotten';
export const RECORD_CUSTOMER_ANONYMISED = 'record-customer-anonymised';
export const RECORD_USER_VIEWS_DROPPED = 'record-user-views-dropped';

/**
 * Records one participant's answer in the process manager, in the inbox's transaction: a
 * redelivered answer is skipped, a repeated one (answering a retry) decides nothing, and the last
 * one completes the deletion (the user row is erased, AccountDeleted staged) in the same commit.
 */
@Injectable()
export class TrackAccountDeletionHandler {
  constructor(private readonly commands: AccountDeletionCommands) {}

  async execute(answer: { userId: string; participant: Participant; at: Date }, once: HandleOnce): Promise<{ recorded: boolean }> {
    const outcome = await once.run((transaction) =>
      this.commands.runWithin(transaction, answer.userId, { type: 'RecordAnswer', participant: answer.participant, at: answer.at }),
    );
    return { recorded: outcome.processed };
  }
}
