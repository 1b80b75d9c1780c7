import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { EVENT_SUBJECT_ROOT } from '@eventshop/contracts';

/**
 * Names of the streams and subject roots. A namespace prefixes all of them so that test runs (or
 * several copies of the shop on one NATS server) never see each other's events.
 */
export interface Topology {
  readonly eventsStream: string;
  /** Subject root events are published under: `<root>.<context>.<event>.v<n>`. */
  readonly eventsSubjectRoot: string;
  readonly deadLetterStream: string;
  readonly deadLetterSubjectRoot: string;
}

export function topologyFor(namespace = ''): Topology {
  const ns = namespace.trim();
  if (ns && !/^[A-Za-z0-9_-]+$/.test(ns)) {
    throw new Error(`namespace "${ns}" may only contain letters, digits, '_' and '-'`);
  }
  return {
    eventsStream: ns ? `${ns.toUpperCase()}_EVENTS` : 'EVENTS',
    eventsSubjectRoot: ns ? `${ns}.${EVENT_SUBJECT_ROOT}` : EVENT_SUBJECT_ROOT,
    deadLetterStream: ns ? `${ns.toUpperCase()}_DEAD_LETTERS` : 'DEAD_LETTERS',
    deadLetterSubjectRoot: ns ? `${ns}.dlq` : 'dlq',
  };
}

/** Maps a contract subject (`events.user.…`, under the contracts' subject root) into the topology's namespace. */
export function namespacedSubject(topology: Topology, contractSubject: string): string {
  const root = `${EVENT_SUBJECT_ROOT}.`;
  if (!contractSubject.startsWith(root)) return contractSubject;
  return `${topology.eventsSubjectRoot}.${contractSubject.slice(root.length)}`;
}

export interface StreamSettings {
  /** How long events are kept; 0 keeps them forever (needed to rebuild read models from history). */
  readonly maxAgeMs?: number;
  /** Window in which a repeated `Nats-Msg-Id` is dropped. */
  readonly duplicateWindowMs?: number;
  /**
   * On how many servers of a JetStream cluster each stream is stored (1, 3 or 5; default 1, the one
   * local server). R3 survives the loss of any one server; the consumers inherit it. Raising it on
   * an existing stream is an update JetStream performs in place; it cannot exceed the cluster size.
   */
  readonly replicas?: number;
}

/** Creates the events and dead-letter streams, or updates them to this config. Safe to call from every replica. */
export async function ensureStreams(jsm: JetStreamManager, topology: Topology, settings: StreamSettings = {}) {
  await ensureStream(jsm, {
    name: topology.eventsStream,
    subjects: [`${topology.eventsSubjectRoot}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(settings.maxAgeMs ?? 0),
    duplicate_window: nanos(settings.duplicateWindowMs ?? 2 * 60_000),
    num_replicas: settings.replicas ?? 1,
  });
  await ensureStream(jsm, {
    name: topology.deadLetterStream,
    subjects: [`${topology.deadLetterSubjectRoot}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: 0,
    duplicate_window: nanos(settings.duplicateWindowMs ?? 2 * 60_000),
    num_replicas: settings.replicas ?? 1,
  });
}

/**
 * Deletes the events and dead-letter streams of a topology (and with them their consumers), if
 * they exist: the inverse of `ensureStreams`, for test runs and benchmarks that clean up after
 * themselves.
 */
export async function deleteStreams(jsm: JetStreamManager, topology: Topology): Promise<void> {
  for (const stream of [topology.eventsStream, topology.deadLetterStream]) {
    await jsm.streams.delete(stream).catch(() => undefined);
  }
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }) {
  try {
    await jsm.streams.add(config);
  } catch (error) {
    if (!isAlreadyInUse(error)) throw error;
    // It exists (another replica, an earlier run): bring its mutable settings up to date.
    await jsm.streams.update(config.name, config);
  }
}

export interface ConsumerSettings {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject: string;
  readonly deliverFrom: 'all' | 'new';
  readonly ackWaitMs: number;
  readonly maxAckPending: number;
}

/**
 * Creates a durable pull consumer (the consumer group) or updates its mutable settings. Redelivery
 * is unlimited on purpose: the retry and dead-letter middleware decide when to give up.
 */
export async function ensureConsumer(jsm: JetStreamManager, settings: ConsumerSettings) {
  const config = {
    durable_name: settings.durable,
    filter_subject: settings.filterSubject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: settings.deliverFrom === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
    ack_wait: nanos(settings.ackWaitMs),
    max_deliver: -1,
    max_ack_pending: settings.maxAckPending,
  };
  try {
    const existing = await jsm.consumers.info(settings.stream, settings.durable);
    if (
      existing.config.ack_wait !== config.ack_wait ||
      existing.config.max_ack_pending !== config.max_ack_pending ||
      existing.config.filter_subject !== config.filter_subject
    ) {
      await jsm.consumers.update(settings.stream, settings.durable, {
        ack_wait: config.ack_wait,
        max_ack_pending: config.max_ack_pending,
        filter_subject: config.filter_subject,
      });
    }
  } catch (error) {
    if (!isNotFound(error)) throw error;
    try {
      await jsm.consumers.add(settings.stream, config);
    } catch (addError) {
      // Another replica created it between our info and add: fine, it is the same group.
      if (!isAlreadyInUse(addError)) throw addError;
    }
  }
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.ConsumerNotFound || error.code === JetStreamApiCodes.StreamNotFound)
  );
}

function isAlreadyInUse(error: unknown): boolean {
  if (!(error instanceof JetStreamApiError)) return false;
  return error.code === 10058 /* stream name in use */ || error.code === 10148 /* consumer already exists */ ||
    /already in use|already exists/i.test(error.message);
}
