import type { JetStreamManager } from '@nats-io/jetstream';
import { deadLetterSubject } from '../middleware/dead-letter.middleware.js';
import type { Topology } from './topology.js';

/** One consumer group's position, as JetStream reports it. */
export interface ConsumerGroupLag {
  readonly group: string;
  /** Messages in the stream the group has not been delivered yet (`num_pending`): its lag. */
  readonly pending: number;
  /** Messages delivered to the group and not yet acked (`num_ack_pending`). */
  readonly ackPending: number;
}

/** What a service's consumer groups look like on the broker, read at one moment. */
export interface BusState {
  /** One entry per group the broker answered for (a group it does not know yet is left out). */
  readonly consumers: readonly ConsumerGroupLag[];
  /**
   * Messages waiting in the dead-letter stream per group (0 for a group with none), or undefined
   * when the dead-letter stream could not be read.
   */
  readonly deadLetters: ReadonlyMap<string, number> | undefined;
}

export interface BusStateReaderOptions {
  /** A read younger than this is answered from memory: a scrape and a readiness probe share one. Default 2 000 ms. */
  readonly maxAgeMs?: number;
  /** Clock in milliseconds, for tests. */
  readonly now?: () => number;
}

/**
 * Reads the lag of a service's consumer groups (`CONSUMER.INFO`, one request per group) and the
 * depth of their dead letters (one `STREAM.INFO` of the dead-letter stream with a subject filter),
 * for `/metrics` and `/health/ready`. Cheap by construction: a handful of small API requests, done
 * on demand and at most once per `maxAgeMs` however many scrapes and probes ask; nothing runs on
 * the message path.
 */
export class BusStateReader {
  private cached: { readonly at: number; readonly state: Promise<BusState> } | undefined;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly jsm: () => JetStreamManager,
    private readonly topology: Topology,
    private readonly groups: () => readonly string[],
    options: BusStateReaderOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 2_000;
    this.now = options.now ?? (() => Date.now());
  }

  /** The state, at most `maxAgeMs` old. Rejects when the broker cannot be asked at all (not connected). */
  read(): Promise<BusState> {
    const at = this.now();
    if (this.cached && at - this.cached.at < this.maxAgeMs) return this.cached.state;
    const state = this.readNow();
    this.cached = { at, state };
    // A failed read is not kept: the next caller asks again.
    state.catch(() => {
      if (this.cached?.state === state) this.cached = undefined;
    });
    return state;
  }

  private async readNow(): Promise<BusState> {
    const jsm = this.jsm();
    const groups = this.groups();
    const [consumers, deadLetters] = await Promise.all([
      Promise.all(groups.map((group) => this.lagOf(jsm, group))),
      groups.length === 0 ? Promise.resolve(new Map<string, number>()) : this.deadLettersOf(jsm, groups),
    ]);
    return { consumers: consumers.filter((lag): lag is ConsumerGroupLag => lag !== undefined), deadLetters };
  }

  private async lagOf(jsm: JetStreamManager, group: string): Promise<ConsumerGroupLag | undefined> {
    try {
      const info = await jsm.consumers.info(this.topology.eventsStream, group);
      return { group, pending: info.num_pending, ackPending: info.num_ack_pending };
    } catch {
      return undefined;
    }
  }

  private async deadLettersOf(jsm: JetStreamManager, groups: readonly string[]): Promise<Map<string, number> | undefined> {
    const root = this.topology.deadLetterSubjectRoot;
    try {
      const info = await jsm.streams.info(this.topology.deadLetterStream, { subjects_filter: `${root}.>` });
      const bySubject = info.state.subjects ?? {};
      return new Map(groups.map((group) => [group, bySubject[deadLetterSubject(root, group)] ?? 0]));
    } catch {
      return undefined;
    }
  }
}
