import { type AccountDeletion, PARTICIPANTS, type Participant } from './account-deletion.js';

/** What `GET /users/me/deletion` (and the 202 of `DELETE /users/me`) shows of a deletion. */
export interface AccountDeletionView {
  readonly userId: string;
  readonly status: AccountDeletion['status'];
  readonly requestedAt: string;
  readonly attempts: number;
  /** Per participant: when it answered (null while silent). */
  readonly participants: Readonly<Record<Participant, { readonly answeredAt: string | null }>>;
  readonly stuckAt: string | null;
  readonly completedAt: string | null;
}

export function toDeletionView(deletion: AccountDeletion): AccountDeletionView {
  const participants = Object.fromEntries(
    PARTICIPANTS.map((participant) => [participant, { answeredAt: deletion.answers[participant]?.toISOString() ?? null }]),
  ) as Record<Participant, { answeredAt: string | null }>;
  return {
    userId: deletion.userId,
    status: deletion.status,
    requestedAt: deletion.requestedAt.toISOString(),
    attempts: deletion.attempts,
    participants,
    stuckAt: deletion.stuckAt?.toISOString() ?? null,
    completedAt: deletion.completedAt?.toISOString() ?? null,
  };
}
