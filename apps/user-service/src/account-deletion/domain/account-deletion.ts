import type { Decider } from '@eventshop/domain';

/*
 * The account-deletion process manager's rules, pure: no Nest, no TypeORM, no clock (time comes in
 * with each command). user-service runs it with the shared DeciderRunner over the
 * `account_deletions` table (one row per user), so every step is one transaction: the state and the
 * integration events it announces (outbox) commit together, and a kill -9 anywhere leaves either the
 * step done or not done — never half.
 *
 * The process: the user asks → AccountDeletionRequested goes out → each participant forgets the user
 * and answers with its own event → when all four have answered, the account is erased and
 * AccountDeleted goes out. A participant that stays silent past `retryAfterMs` is asked again (a new
 * AccountDeletionRequested; participants are idempotent), until the deadline: then the process is
 * `stuck` and reported (a dead letter), and it still completes if the answers come later.
 */

/** The services that hold something of a user and must forget it. */
export const PARTICIPANTS = ['newsletter', 'email', 'order', 'read-model'] as const;
export type Participant = (typeof PARTICIPANTS)[number];

export type DeletionStatus = 'in-progress' | 'stuck' | 'completed';

/** How long to wait for answers: retry the silent ones every `retryAfterMs`, give up waiting at `deadlineMs`. */
export interface DeletionTimings {
  readonly retryAfterMs: number;
  readonly deadlineMs: number;
}

export interface AccountDeletion {
  readonly userId: string;
  readonly status: DeletionStatus;
  readonly requestedAt: Date;
  /** When each participant answered; null while it is silent. */
  readonly answers: Readonly<Record<Participant, Date | null>>;
  /** How many times AccountDeletionRequested went out (1 = the request itself). */
  readonly attempts: number;
  readonly nextRetryAt: Date;
  readonly deadlineAt: Date;
  readonly stuckAt: Date | null;
  readonly completedAt: Date | null;
}

/** Null: the user never asked. */
export type AccountDeletionState = AccountDeletion | null;

export type AccountDeletionCommand =
  | { readonly type: 'RequestDeletion'; readonly userId: string; readonly at: Date; readonly timings: DeletionTimings }
  | { readonly type: 'RecordAnswer'; readonly participant: Participant; readonly at: Date }
  | { readonly type: 'CheckProgress'; readonly now: Date; readonly timings: DeletionTimings };

export type AccountDeletionEvent =
  | { readonly type: 'DeletionRequested'; readonly userId: string; readonly at: Date; readonly nextRetryAt: Date; readonly deadlineAt: Date }
  | { readonly type: 'ParticipantAnswered'; readonly participant: Participant; readonly at: Date }
  | { readonly type: 'SilentParticipantsAskedAgain'; readonly silent: readonly Participant[]; readonly attempt: number; readonly at: Date; readonly nextRetryAt: Date }
  | { readonly type: 'DeletionStuck'; readonly silent: readonly Participant[]; readonly at: Date }
  | { readonly type: 'DeletionCompleted'; readonly at: Date };

/** The participants that have not answered yet. */
export function silentParticipants(deletion: AccountDeletion): Participant[] {
  return PARTICIPANTS.filter((participant) => deletion.answers[participant] === null);
}

function addMs(at: Date, ms: number): Date {
  return new Date(at.getTime() + ms);
}

function decide(command: AccountDeletionCommand, state: AccountDeletionState): AccountDeletionEvent[] {
  switch (command.type) {
    case 'RequestDeletion':
      // A second request while one runs (or after it completed) starts nothing new.
      if (state) return [];
      return [
        {
          type: 'DeletionRequested',
          userId: command.userId,
          at: command.at,
          nextRetryAt: addMs(command.at, command.timings.retryAfterMs),
          deadlineAt: addMs(command.at, command.timings.deadlineMs),
        },
      ];
    case 'RecordAnswer': {
      // An answer nobody asked for (a replayed old event, a deletion that finished): nothing to do.
      if (!state || state.status === 'completed' || state.answers[command.participant] !== null) return [];
      const answered: AccountDeletionEvent = { type: 'ParticipantAnswered', participant: command.participant, at: command.at };
      const stillSilent = silentParticipants(state).filter((participant) => participant !== command.participant);
      // The last answer completes it, even a late one after the deadline: a stuck deletion can still finish.
      return stillSilent.length === 0 ? [answered, { type: 'DeletionCompleted', at: command.at }] : [answered];
    }
    case 'CheckProgress': {
      if (!state || state.status !== 'in-progress') return [];
      const silent = silentParticipants(state);
      if (command.now >= state.deadlineAt) return [{ type: 'DeletionStuck', silent, at: command.now }];
      if (command.now < state.nextRetryAt) return [];
      return [
        {
          type: 'SilentParticipantsAskedAgain',
          silent,
          attempt: state.attempts + 1,
          at: command.now,
          nextRetryAt: addMs(command.now, command.timings.retryAfterMs),
        },
      ];
    }
  }
}

function evolve(state: AccountDeletionState, event: AccountDeletionEvent): AccountDeletionState {
  if (event.type === 'DeletionRequested') {
    return {
      userId: event.userId,
      status: 'in-progress',
      requestedAt: event.at,
      answers: { newsletter: null, email: null, order: null, 'read-model': null },
      attempts: 1,
      nextRetryAt: event.nextRetryAt,
      deadlineAt: event.deadlineAt,
      stuckAt: null,
      completedAt: null,
    };
  }
  if (!state) return state;
  switch (event.type) {
    case 'ParticipantAnswered':
      return { ...state, answers: { ...state.answers, [event.participant]: event.at } };
    case 'SilentParticipantsAskedAgain':
      return { ...state, attempts: event.attempt, nextRetryAt: event.nextRetryAt };
    case 'DeletionStuck':
      return { ...state, status: 'stuck', stuckAt: event.at };
    case 'DeletionCompleted':
      return { ...state, status: 'completed', completedAt: event.at };
  }
}

export const accountDeletionDecider: Decider<AccountDeletionCommand, AccountDeletionEvent, AccountDeletionState> = {
  decide,
  evolve,
  initialState: null,
};

/** Why a deletion is stuck, in words an operator can act on (the dead letter's reason). */
export function stuckReason(deletion: AccountDeletion): string {
  const silent = silentParticipants(deletion);
  return (
    `account deletion of user ${deletion.userId} is stuck: no answer from ${silent.map((p) => `${p}-service`).join(', ')} ` +
    `after ${deletion.attempts} requests since ${deletion.requestedAt.toISOString()} (deadline ${deletion.deadlineAt.toISOString()}); ` +
    `replay this dead letter to ask them again once they are back`
  );
}
