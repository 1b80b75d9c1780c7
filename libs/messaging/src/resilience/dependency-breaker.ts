import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import { isPermanentError } from '../message.js';

/** The part of opossum's CircuitBreaker used here: opossum is CommonJS and ships no type declarations. */
interface OpossumCircuit extends EventEmitter {
  readonly opened: boolean;
  readonly halfOpen: boolean;
  readonly closed: boolean;
  /** True while half-open and the single probe call has not been made yet. */
  readonly pendingClose: boolean;
  readonly isShutdown: boolean;
  fire(call: () => Promise<unknown>): Promise<unknown>;
  shutdown(): void;
}

interface Opossum {
  new (action: (call: () => Promise<unknown>) => Promise<unknown>, options: Record<string, unknown>): OpossumCircuit;
  /** True for errors opossum raised itself (open, timeout, shutdown) rather than the action. */
  isOurError(error: unknown): boolean;
}

const CircuitBreaker = createRequire(import.meta.url)('opossum') as Opossum;

/**
 * A call was not attempted because the dependency's circuit breaker is open. Transient by
 * definition (the dependency is expected back), so the retry middleware schedules a redelivery;
 * it is never sent straight to the dead letter.
 */
export class DependencyUnavailableError extends Error {
  readonly permanent = false as const;

  constructor(
    readonly dependency: string,
    cause?: unknown,
  ) {
    super(`${dependency} is unavailable: its circuit breaker is open, the call was not attempted`, { cause });
    this.name = 'DependencyUnavailableError';
  }
}

export interface DependencyBreakerOptions {
  /** A call running longer than this counts as failed (it is not cancelled). Default 10 000 ms; `false` disables. */
  readonly timeoutMs?: number | false;
  /** Share of failed calls in the rolling window, in percent, above which the breaker opens. Default 50. */
  readonly errorThresholdPercentage?: number;
  /** Calls needed in the rolling window before the breaker may open at all. Default 5. */
  readonly volumeThreshold?: number;
  /** How long the breaker stays open before it lets one probe call through (half-open). Default 30 000 ms. */
  readonly resetTimeoutMs?: number;
  /** Length of the rolling window the failure rate is measured over. Default 10 000 ms. */
  readonly rollingWindowMs?: number;
  /**
   * Errors that say the request was wrong, not that the dependency is down (an SMTP "no such
   * mailbox"): they pass through without counting against the breaker. Default: permanent errors.
   */
  readonly isCallerError?: (error: unknown) => boolean;
}

export type BreakerState = 'closed' | 'open' | 'halfOpen' | 'shutdown';
export type BreakerEvent = 'open' | 'halfOpen' | 'close' | 'shutdown';

/**
 * A circuit breaker (opossum) for one outbound dependency, such as the SMTP server. Every call to
 * the dependency goes through `fire`; once calls keep failing the breaker opens and further calls
 * fail fast with DependencyUnavailableError. After `resetTimeoutMs` it turns half-open and lets one
 * probe call through, whose success closes it and whose failure opens it again.
 *
 * One breaker per dependency and process, shared by every handler that calls it. Call `shutdown()`
 * when the service stops.
 */
export class DependencyBreaker {
  private readonly circuit: OpossumCircuit;
  private readonly sleepers = new Set<() => void>();
  private probeTaken = false;

  constructor(
    readonly name: string,
    options: DependencyBreakerOptions = {},
  ) {
    const isCallerError = options.isCallerError ?? isPermanentError;
    this.circuit = new CircuitBreaker((call) => call(), {
      name,
      timeout: options.timeoutMs ?? 10_000,
      errorThresholdPercentage: options.errorThresholdPercentage ?? 50,
      volumeThreshold: options.volumeThreshold ?? 5,
      resetTimeout: options.resetTimeoutMs ?? 30_000,
      rollingCountTimeout: options.rollingWindowMs ?? 10_000,
      errorFilter: (error: unknown) => isCallerError(error),
    });
    for (const event of ['halfOpen', 'close', 'shutdown'] as const) this.circuit.on(event, () => this.wakeSleepers());
  }

  /**
   * Runs `call` (the outbound request) through the breaker: `breaker.fire(() => mailer.send(mail))`.
   * Resolves with its result or rejects with its error; rejects with DependencyUnavailableError,
   * without calling it, while the breaker is open.
   */
  async fire<T>(call: () => Promise<T>): Promise<T> {
    try {
      return (await this.circuit.fire(call)) as T;
    } catch (error) {
      if (isOpenRejection(error)) throw new DependencyUnavailableError(this.name, error);
      throw error;
    }
  }

  get state(): BreakerState {
    if (this.circuit.isShutdown) return 'shutdown';
    if (this.circuit.opened) return 'open';
    return this.circuit.halfOpen ? 'halfOpen' : 'closed';
  }

  /** Subscribes to opossum's state changes, e.g. to log them or export them as a metric. */
  on(event: BreakerEvent, listener: () => void): this {
    this.circuit.on(event, listener);
    return this;
  }

  off(event: BreakerEvent, listener: () => void): this {
    this.circuit.off(event, listener);
    return this;
  }

  /**
   * Resolves once a call through this breaker would be let through, with a `release` the caller
   * must call when done with it:
   * - closed: at once (also once shut down, so held callers fail fast and move on);
   * - open: on opossum's 'halfOpen' or 'close' event; it never polls;
   * - half-open: to one caller at a time, the probe; the others wait for the probe's verdict. A
   *   probe released without having called `fire` hands the probe on to the next caller.
   */
  async whenCallable(): Promise<() => void> {
    for (;;) {
      const release = this.admit();
      if (release) return release;
      await new Promise<void>((wake) => this.sleepers.add(wake));
    }
  }

  /** Stops the breaker's timers; later calls fail at once and every waiting caller is released. */
  shutdown(): void {
    this.circuit.shutdown();
    this.wakeSleepers();
  }

  private admit(): (() => void) | undefined {
    if (this.circuit.closed || this.circuit.isShutdown) return () => {};
    if (!this.circuit.halfOpen || !this.circuit.pendingClose || this.probeTaken) return undefined;
    this.probeTaken = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.probeTaken = false;
      this.wakeSleepers();
    };
  }

  private wakeSleepers(): void {
    const sleepers = [...this.sleepers];
    this.sleepers.clear();
    for (const wake of sleepers) wake();
  }
}

function isOpenRejection(error: unknown): boolean {
  return CircuitBreaker.isOurError(error) && (error as { code?: unknown }).code === 'EOPENBREAKER';
}

/** Creates the circuit breaker for one outbound dependency; see DependencyBreaker. */
export function createDependencyBreaker(name: string, options: DependencyBreakerOptions = {}): DependencyBreaker {
  return new DependencyBreaker(name, options);
}
