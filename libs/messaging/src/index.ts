// The public API of @eventshop/messaging: what services, tools and end-to-end tests use, and the
// types their signatures need. Everything else is internal; the library's own tests import it by
// path. Test helpers live in '@eventshop/messaging/testing'.

// Ports: the two small interfaces every adapter implements.
export { MessageTooLargeError } from './ports/publisher.js';
export type { Publisher } from './ports/publisher.js';
export type { Subscriber, Subscription, SubscriptionOptions } from './ports/subscriber.js';

// Messages, outcomes, middleware.
export { DeadLetterHeaders, Headers } from './message.js';
export type { MessageHeaders, OutgoingMessage, ReceivedMessage } from './message.js';
export type { MessageHandler, Middleware, Outcome } from './handler.js';
export type { RetryPolicy } from './middleware/retry.middleware.js';
export type { BusLogger } from './logger.js';
export { DEFAULT_ACK_WAIT_MS, DEFAULT_OUTBOX_BATCH_SIZE } from './defaults.js';
export { BusMetrics, metricOptions, MetricNames } from './metric-names.js';
export type { MetricDefinition, MetricType } from './metric-names.js';
export { existingOr } from './metrics/existing-or.js';
export { BusStateReader } from './jetstream/bus-state.js';
export type { BusState, ConsumerGroupLag } from './jetstream/bus-state.js';

// The router: a handler registration → its consumer group behind the standard middleware chain.
export { consumerGroupName, MessageRouter } from './router/message-router.js';
export type {
  EventHandler,
  HandlerContext,
  HandlerOptions,
  HandlerRegistration,
  MessageRouterOptions,
} from './router/message-router.js';

// Correlation and trace context, carried from HTTP through the outbox to handlers.
export { correlationIdOrNew, messageContext, traceHeadersFrom } from './context/message-context.js';
export type { MessageContext } from './context/message-context.js';
export { installTracePropagation } from './context/tracing.js';

// The JetStream adapter: streams and subjects, publisher, durable subscriber.
export { deleteStreams, ensureStreams, namespacedSubject, topologyFor } from './jetstream/topology.js';
export type { StreamSettings, Topology } from './jetstream/topology.js';
export { fromNatsHeaders } from './jetstream/headers.js';
export { JetStreamPublisher } from './jetstream/jetstream-publisher.js';
export { JetStreamSubscriber } from './jetstream/jetstream-subscriber.js';
export type { JetStreamSubscriberOptions } from './jetstream/jetstream-subscriber.js';

// Outbox (publishing with the state change) and inbox (handling each event once), and their tables.
export { EventBus, eventHeaders } from './outbox/event-bus.js';
export { deadLetterSubject } from './middleware/dead-letter.middleware.js';
export { listenConnectionFrom, OutboxRelay } from './outbox/outbox-relay.js';
export type { ListenConnection, OutboxRelayOptions } from './outbox/outbox-relay.js';
export { HandleOnce, Inbox } from './inbox/inbox.js';
export type { HandleOnceResult, InboxKey, OutsideEffect } from './inbox/inbox.js';
export { messagingMigrations } from './messaging-migrations.js';

// Deciders: load → decide → save + publish through the outbox, in one transaction.
export { DeciderRunner, integrationEvent } from './decider/decider-runner.js';
export type { Decision, DecisionStore, DeciderRunnerParts, IntegrationEvent, IntegrationEventsOf } from './decider/decider-runner.js';

// Resilience: the circuit breaker around an outbound dependency (`@OnEvent({ pauseWhileDown })`).
export { createDependencyBreaker } from './resilience/dependency-breaker.js';
export type { DependencyBreaker, DependencyBreakerOptions } from './resilience/dependency-breaker.js';

// Nest integration: the module, the decorator, the transport.
export { MessagingModule } from './nest/messaging.module.js';
export type { MessagingOptions, NatsCredentials } from './nest/messaging-options.js';
export { MessagingRuntime, NatsUnavailableError, StreamsNotProvisionedError } from './nest/messaging-runtime.js';
export { eventHandlersOf, OnEvent } from './nest/on-event.decorator.js';
export type { OnEventOptions } from './nest/on-event.decorator.js';
export { JetStreamContext } from './nest/jetstream.context.js';
export { connectJetStreamTransport } from './nest/jetstream.server.js';

// Identities on the bus: one NATS user per service, its permissions derived from the contracts.
export {
  consumedSubject,
  inboxPrefixFor,
  NATS_ADMIN_USER,
  natsAuthorizationConfig,
  ownedEventSubjects,
  passwordVariableFor,
  permissionsFor,
} from './auth/nats-permissions.js';
export type { BusIdentity, NatsPermissions } from './auth/nats-permissions.js';
export { natsCredentialsFrom } from './auth/nats-credentials.js';
export { busIdentitiesIn, COMPOSE_NATS_AUTH_FILE, K8S_NATS_AUTH_CONFIGMAP, K8S_NATS_AUTH_FILE, natsConfigFiles, natsUsers } from './auth/nats-config-files.js';

// Dead letters: list, show, replay, purge (the `npm run dlq` CLI is built on it).
export {
  DeadLetterAdmin,
  DeadLetterNotFoundError,
  DeadLetterStreamNotFoundError,
  NotReplayableError,
  OriginalMessageGoneError,
} from './dead-letter/dead-letter-admin.js';
export type { DeadLetter, DeadLetterFilter, ReplayResult } from './dead-letter/dead-letter-admin.js';

// Personal data, fetched from user-service on demand (events carry none)
export { DEFAULT_PERSONAL_DATA_TIMEOUT_MS, PersonalDataClient, PersonalDataUnavailableError } from './personal-data/personal-data-client.js';
export type { PersonalDataSource } from './personal-data/personal-data-client.js';
