/**
 * Every metric the bus exports, by name, for dashboards and alerts: the handler chain's (the metrics
 * middleware) and the outbox relay's (outbox-relay.metrics.ts).
 */
export const MetricNames = {
  MessagesHandled: 'eventshop_messages_handled_total',
  HandlingSeconds: 'eventshop_message_handling_seconds',
  OutboxPendingRows: 'eventshop_outbox_pending_rows',
  OutboxLagSeconds: 'eventshop_outbox_lag_seconds',
  OutboxPublished: 'eventshop_outbox_published_total',
} as const;
