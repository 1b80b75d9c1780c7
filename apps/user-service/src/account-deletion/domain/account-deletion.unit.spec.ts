import { describe, expect, it } from '@jest/globals';
import { fold } from '@eventshop/domain';
import {
  type AccountDeletionCommand,
  accountDeletionDecider,
  type AccountDeletionEvent,
  type AccountDeletionState,
  PARTICIPANTS,
  stuckReason,
} from './account-deletion.js';

const userId = '7f1c8d1e-4a8e-4b39-9d59-2f0b5e3f9a10';
const t0 = new Date('2026-01-01T10:00:00.000Z');
const after = (ms: number) => new Date(t0.getTime() + ms);
const timings = { retryAfterMs: 60_000, deadlineMs: 600_000 };

/** Runs commands through the decider as the runner does: decide on the current state, then evolve. */
function run(commands: AccountDeletionCommand[], state: AccountDeletionState = null) {
  const events: AccountDeletionEvent[] = [];
  for (const command of commands) {
    const decided = accountDeletionDecider.decide(command, state);
    events.push(...decided);
    state = fold(accountDeletionDecider, decided, state);
  }
  return { events, state };
}

const request: AccountDeletionCommand = { type: 'RequestDeletion', userId, at: t0, timings };
const answer = (participant: (typeof PARTICIPANTS)[number], ms = 1000): AccountDeletionCommand => ({ type: 'RecordAnswer', participant, at: after(ms) });
const check = (ms: number): AccountDeletionCommand => ({ type: 'CheckProgress', now: after(ms), timings });

describe('the account-deletion process manager', () => {
  it('starts once: a second request while it runs decides nothing', () => {
    const { events, state } = run([request, { ...request, at: after(5) }]);
    expect(events.map((event) => event.type)).toEqual(['DeletionRequested']);
    expect(state).toMatchObject({ status: 'in-progress', attempts: 1, nextRetryAt: after(60_000), deadlineAt: after(600_000) });
  });

  it('completes when the last of the four participants answers, in any order, and not before', () => {
    const { events, state } = run([request, answer('read-model'), answer('email'), answer('order')]);
    expect(events.some((event) => event.type === 'DeletionCompleted')).toBe(false);
    expect(state?.status).toBe('in-progress');
    const done = run([answer('newsletter', 2000)], state);
    expect(done.events.map((event) => event.type)).toEqual(['ParticipantAnswered', 'DeletionCompleted']);
    expect(done.state).toMatchObject({ status: 'completed', completedAt: after(2000) });
  });

  it('ignores a repeated answer, an answer after completion and an answer nobody asked for', () => {
    const { state } = run([request, answer('email'), answer('email', 5000)]);
    expect(state?.answers.email).toEqual(after(1000));
    const completed = run(PARTICIPANTS.map((p) => answer(p)), state).state;
    expect(run([answer('order', 9000)], completed).events).toEqual([]);
    expect(run([answer('order')], null).events).toEqual([]);
  });

  it('asks the silent participants again once the retry time has come, not before', () => {
    const { state } = run([request, answer('email'), answer('order')]);
    expect(run([check(59_999)], state).events).toEqual([]);
    const retried = run([check(60_000)], state);
    expect(retried.events).toEqual([
      { type: 'SilentParticipantsAskedAgain', silent: ['newsletter', 'read-model'], attempt: 2, at: after(60_000), nextRetryAt: after(120_000) },
    ]);
    expect(retried.state).toMatchObject({ attempts: 2, nextRetryAt: after(120_000) });
    // The next check right after decides nothing: the schedule moved.
    expect(run([check(60_001)], retried.state).events).toEqual([]);
  });

  it('is stuck at the deadline, naming the silent participants, and still completes when they answer late', () => {
    const { state } = run([request, answer('email'), answer('order'), answer('newsletter')]);
    const stuck = run([check(600_000)], state);
    expect(stuck.events).toEqual([{ type: 'DeletionStuck', silent: ['read-model'], at: after(600_000) }]);
    expect(stuck.state?.status).toBe('stuck');
    expect(stuckReason(stuck.state!)).toMatch(/no answer from read-model-service after 1 requests/);
    // A stuck deletion is neither retried nor reported again by the timer…
    expect(run([check(900_000)], stuck.state).events).toEqual([]);
    // …but the late answer completes it.
    expect(run([answer('read-model', 700_000)], stuck.state).state).toMatchObject({ status: 'completed' });
  });

  it('does nothing on a check for a deletion nobody asked for, or one that completed', () => {
    expect(run([check(1_000_000)]).events).toEqual([]);
    const completed = run([request, ...PARTICIPANTS.map((p) => answer(p))]).state;
    expect(run([check(1_000_000)], completed).events).toEqual([]);
  });
});
