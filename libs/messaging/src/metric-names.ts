/** A metric's Prometheus type. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/** One exported metric: its name, type, labels (besides `service`, on every metric) and meaning. */
export interface MetricDefinition {
  readonly name: string;
  readonly type: MetricType;
  readonly labels: readonly string[];
  readonly help: string;
}

/**
 * Every metric the bus exports, with its type, labels and help text: the one list the code that
 * registers them, the README's metrics table and the dashboards' check all read (the platform adds
 * the HTTP metrics, see libs/platform/src/metrics). Names follow Prometheus conventions: base units
 * (`_seconds`), `_total` on counters.
 */
export const BusMetrics = {
  MessagesHandled: {
    name: 'eventshop_messages_handled_total',
    type: 'counter',
    labels: ['consumer', 'outcome'],
    help: 'Deliveries handled, by consumer group and outcome: ack (done), retry (nak with delay: a redelivery was scheduled), error (failed for good: dead-lettered).',
  },
  HandlingSeconds: {
    name: 'eventshop_message_handling_seconds',
    type: 'histogram',
    labels: ['consumer'],
    help: 'Time from a delivery entering the handler chain to its outcome, by consumer group.',
  },
  DeadLetters: {
    name: 'eventshop_dead_letters_total',
    type: 'counter',
    labels: ['consumer', 'reason'],
    help: 'Messages parked on the dead-letter stream by this process, by consumer group and reason class: retries_exhausted, permanent (malformed or breaks its contract), error (failed with retries off).',
  },
  ConsumerPending: {
    name: 'eventshop_consumer_pending_messages',
    type: 'gauge',
    labels: ['consumer'],
    help: "Messages in the stream not yet delivered to the consumer group (JetStream num_pending): the group's lag.",
  },
  ConsumerAckPending: {
    name: 'eventshop_consumer_ack_pending_messages',
    type: 'gauge',
    labels: ['consumer'],
    help: 'Messages delivered to the consumer group and not yet acked (JetStream num_ack_pending).',
  },
  DeadLetterDepth: {
    name: 'eventshop_dead_letter_messages',
    type: 'gauge',
    labels: ['consumer'],
    help: "Messages waiting in the dead-letter stream, by the consumer group they were parked for (this service's groups).",
  },
  CircuitBreakerState: {
    name: 'eventshop_circuit_breaker_state',
    type: 'gauge',
    labels: ['dependency'],
    help: 'State of the circuit breaker of an outbound dependency: 0 closed, 1 half-open, 2 open.',
  },
  OutboxPendingRows: {
    name: 'eventshop_outbox_pending_rows',
    type: 'gauge',
    labels: [],
    help: 'Outbox rows written but not yet published to the broker.',
  },
  OutboxLagSeconds: {
    name: 'eventshop_outbox_lag_seconds',
    type: 'gauge',
    labels: [],
    help: 'Age in seconds of the oldest unpublished outbox row (0 when none is pending).',
  },
  OutboxPublished: {
    name: 'eventshop_outbox_published_total',
    type: 'counter',
    labels: [],
    help: 'Outbox rows published to the broker since the process started.',
  },
} as const satisfies Record<string, MetricDefinition>;

/** The bus's metric names, by key (see BusMetrics for their types, labels and meaning). */
export const MetricNames = Object.fromEntries(Object.entries(BusMetrics).map(([key, metric]) => [key, metric.name])) as {
  readonly [K in keyof typeof BusMetrics]: (typeof BusMetrics)[K]['name'];
};

/** The options prom-client needs to create `metric` in `registry`: its name, help and label names. */
export function metricOptions(metric: MetricDefinition) {
  return { name: metric.name, help: metric.help, labelNames: [...metric.labels] };
}
