import { Injectable } from '@nestjs/common';
import type { ConsumerInfo } from '@nats-io/jetstream';
import { MessagingRuntime } from '@eventshop/messaging';

/**
 * One consumer group (a durable consumer on the events stream, `<service>__<handler>`) as JetStream
 * sees it right now.
 *
 * Which events it has handled follows from two of these numbers, both positions in the events
 * stream: every event at or below `ackFloor` has been acked (handled — or parked as a dead letter,
 * which is acked too); an event above `ackFloor` but at or below `delivered` is with a handler or
 * waiting for a retry (or acked out of order: JetStream keeps only the floor, so the page calls it
 * in flight until the floor passes it); an event above `delivered` has not been delivered yet.
 * Only events whose subject matches one of `filterSubjects` are ever this group's business.
 */
export interface ConsumerGroupState {
  readonly name: string;
  /** The service the group belongs to: the part of its name before `__`. */
  readonly service: string;
  /** The handler: the part after `__`. */
  readonly handler: string;
  readonly filterSubjects: string[];
  /** Matching events not yet delivered to the group. */
  readonly pending: number;
  /** Delivered, not yet acked. */
  readonly ackPending: number;
  /** Of those, delivered more than once (being retried). */
  readonly redelivered: number;
  /** Stream sequence at and below which everything is acked. */
  readonly ackFloor: number;
  /** Stream sequence of the last delivery. */
  readonly delivered: number;
}

@Injectable()
export class ConsumerGroups {
  constructor(private readonly runtime: MessagingRuntime) {}

  /** Every durable consumer on the events stream (the ordered viewers of the console are not groups). */
  async list(): Promise<ConsumerGroupState[]> {
    const groups: ConsumerGroupState[] = [];
    const lister = this.runtime.jetstreamManager.consumers.list(this.runtime.topology.eventsStream);
    for await (const info of lister) {
      if (info.config.durable_name) groups.push(toGroupState(info));
    }
    return groups.sort((a, b) => a.name.localeCompare(b.name));
  }
}

export function toGroupState(info: ConsumerInfo): ConsumerGroupState {
  const [service = info.name, handler = ''] = info.name.split('__');
  const filters = info.config.filter_subjects ?? (info.config.filter_subject ? [info.config.filter_subject] : []);
  return {
    name: info.name,
    service,
    handler,
    filterSubjects: filters,
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    redelivered: info.num_redelivered,
    ackFloor: info.ack_floor.stream_seq,
    delivered: info.delivered.stream_seq,
  };
}
