// Test helpers for adapters and services. Imported as '@eventshop/messaging/testing'; only test
// code may depend on it (it registers Jest tests).
export * from './pubsub-conformance.js';
export * from '../memory/in-memory-pubsub.js';
export * from './fake-message.js';
export * from './test-infrastructure.js';
export * from './publish-event.js';
export * from './tcp-fault-proxy.js';
export * from './secured-nats.js';
export * from './free-port.js';
export * from './metric-sample.js';
export * from './personal-data-responder.js';
export * from './stream-events.js';
