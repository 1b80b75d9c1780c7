import { describe, expect, it } from '@jest/globals';
import type { ConsumerInfo } from '@nats-io/jetstream';
import { toGroupState } from './consumer-groups.js';

describe('toGroupState', () => {
  it('names service and handler, and keeps the positions that say what has been handled', () => {
    const info = {
      name: 'email-service__send-welcome-email',
      config: { durable_name: 'email-service__send-welcome-email', filter_subject: 'events.user.user-signed-up.v1' },
      num_pending: 2,
      num_ack_pending: 1,
      num_redelivered: 1,
      ack_floor: { stream_seq: 40, consumer_seq: 12 },
      delivered: { stream_seq: 42, consumer_seq: 14 },
    } as unknown as ConsumerInfo;
    expect(toGroupState(info)).toEqual({
      name: 'email-service__send-welcome-email',
      service: 'email-service',
      handler: 'send-welcome-email',
      filterSubjects: ['events.user.user-signed-up.v1'],
      pending: 2,
      ackPending: 1,
      redelivered: 1,
      ackFloor: 40,
      delivered: 42,
    });
  });
});
