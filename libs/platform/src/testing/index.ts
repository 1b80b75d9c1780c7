// Test helpers for services. Imported as '@eventshop/platform/testing'; only test code may depend on
// it (it starts services in-process against the test PostgreSQL and NATS).
export * from './service-under-test.js';
export * from './scraped-sample.js';
export * from './api-docs.js';
export * from './otlp-receiver.js';
