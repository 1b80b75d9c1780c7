// Which consumer group has handled which event, from JetStream's consumer state (see
// apps/console/src/consumer-groups/consumer-groups.ts for why these numbers say so).

/** NATS subject matching: `*` is one token, `>` is one or more at the end. */
export function subjectMatches(filter, subject) {
  const want = filter.split('.');
  const have = subject.split('.');
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '>') return have.length > i;
    if (i >= have.length || (want[i] !== '*' && want[i] !== have[i])) return false;
  }
  return want.length === have.length;
}

/** Whether an event is a consumer group's business at all. */
export function listensTo(group, event) {
  return group.filterSubjects.length === 0 || group.filterSubjects.some((filter) => subjectMatches(filter, event.subject));
}

/**
 * Where `event` is with `group`: 'dead-lettered' (the group gave up on it: it is in the dead
 * letters), 'handled' (acked: at or below the ack floor), 'in-flight' (delivered, not yet acked, or
 * being retried), 'waiting' (not delivered yet) — or null when the group does not listen to it.
 */
export function statusFor(group, event, deadLetters) {
  if (!listensTo(group, event)) return null;
  if (deadLetters.some((d) => d.consumer === group.name && d.originalSequence === event.sequence)) return 'dead-lettered';
  if (event.sequence <= group.ackFloor) return 'handled';
  if (event.sequence <= group.delivered) return 'in-flight';
  return 'waiting';
}

export const STATUS_LABEL = {
  handled: '✓ handled',
  'in-flight': '… in flight',
  waiting: '· waiting',
  'dead-lettered': '✗ dead-lettered',
};
