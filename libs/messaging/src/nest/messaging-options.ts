import type { RetryPolicy } from '../middleware/retry.middleware.js';
import type { BusLogger } from '../logger.js';
import type { Registry } from 'prom-client';
import type { Middleware } from '../handler.js';

export interface MessagingOptions {
  /** The service's name: the `source` of its events and the prefix of its consumer groups. */
  readonly serviceName: string;
  readonly natsUrl: string;
  /**
   * The service's own NATS user (see src/auth/nats-permissions.ts). Without it (an open development
   * server) the service creates the streams it needs; with it, streams are the admin's job
   * (`npm run nats:provision`) and the service only checks they exist.
   */
  readonly credentials?: NatsCredentials;
  /** Prefixes stream names and subjects; empty in normal runs, unique per test run. */
  readonly namespace?: string;
  /** Replicas of the streams this service creates (only without `credentials`; see `ensureStreams`). */
  readonly streamReplicas?: number;
  /** Relay settings; a service that publishes nothing may turn the relay off. */
  readonly outbox?: { readonly enabled?: boolean; readonly batchSize?: number; readonly pollIntervalMs?: number };
  /** Defaults for every handler; each `@OnEvent` can override. */
  readonly retry?: Partial<RetryPolicy>;
  readonly handlerTimeoutMs?: number;
  readonly ackWaitMs?: number;
  readonly logger?: BusLogger;
  /**
   * Middleware for every handler of the service, outermost first; they run inside retry, before the
   * handler's own (`@OnEvent({ use })`).
   */
  readonly middleware?: readonly Middleware[];
  /** Where handler and relay metrics are registered (served by the platform's `/metrics`). */
  readonly metricsRegistry?: Registry;
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

/** A NATS user and its password. */
export interface NatsCredentials {
  readonly user: string;
  readonly password: string;
}
