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
  open(): void;
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
  /**
   * A call running longer than this fails with a timeout and counts as failed; the call itself is
   * not cancelled, so give the client its own, shorter timeouts. Default 10 000 ms; `false` disables.
   */
  readonly timeoutMs?: number | false;
  /**
   * This many failed (or slow) calls in a row open the breaker, however few calls there are: a
   * dependency called one message at a time never reaches a volume for a failure rate. Default 3.
   */
  readonly consecutiveFailuresToOpen?: number;
  /**
   * A call that succeeds but takes longer than this counts as a failure in the consecutive count: a
   * dependency that answers, but only after seconds, is as good as down. Default: none.
   */
  readonly slowCallMs?: number;
  /** Share of failed calls in the rolling window, in percent, above which the breaker also opens. Default 50. */
  readonly errorThresholdPercentage?: number;
  /** Calls needed in the rolling window before the breaker may open at all. Default 5. */
  readonly volumeThreshold?: number;
  /** How long the breaker stays open before it lets one probe call through (half-open). Default 30 000 ms. */
  readonly resetTimeoutMs?: number;
  /** Length of the rolling window the failure rate is measured over. Default 10 000 ms. */
  readonly rollingWindowMs?: number;
  /**
   * Errors that say the request was wrong, not that the dependency is down (an SMTP "no such
   * mailbox"): they pass through without counting against the breaker. Permanent errors always do;
   * this names more.
   */
  readonly isCallerError?: (error: unknown) => boolean;
}

export type BreakerState = 'closed' | 'open' | 'halfOpen' | 'shutdown';
export type BreakerEvent = 'open' | 'halfOpen' | 'close' | 'shutdown';

/**
 * A circuit breaker (opossum) for one outbound dependency, such as the SMTP server. Every call to
 * the dependency goes through `fire`; once calls keep failing the breaker opens and further calls
 * fail fast with DependencyUnavailableError. It opens after `consecutiveFailuresToOpen` failed,
 * timed-out or slow calls in a row, or when the failure rate in the rolling window crosses its
 * threshold. After `resetTimeoutMs` it turns half-open and lets one probe call through, whose
 * success closes it and whose failure opens it again.
 *
 * `isDependencyFailure(error)` tells the dependency's failures (counted by the breaker, or the
 * breaker refusing the call) from the caller's, so `pauseWhileOpen` can hold a message through an
 * outage instead of spending its attempts.
 *
 * One breaker per dependency and process, shared by every handler that calls it. Call `shutdown()`
 * when the service stops.
 */
export class DependencyBreaker {
  private readonly circuit: OpossumCircuit;
  private readonly sleepers = new Set<() => void>();
  private probeTaken = false;
  /** The errors opossum counted as the dependency's failures (timeouts included). */
  private readonly dependencyFailures = new WeakSet<object>();
  private failuresInARow = 0;

  constructor(
    readonly name: string,
    options: DependencyBreakerOptions = {},
  ) {
    const isCallerError = (error: unknown) => isPermanentError(error) || (options.isCallerError?.(error) ?? false);
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
    this.countFailuresInARow(options.consecutiveFailuresToOpen ?? 3, options.slowCallMs);
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

  /**
   * True when `error` (or an error in its `cause` chain) is the dependency's failure rather than the
   * caller's: this breaker refused the call (DependencyUnavailableError), or the call failed or
   * timed out in a way the breaker counted against the dependency.
   */
  isDependencyFailure(error: unknown): boolean {
    for (let current = error, depth = 0; current instanceof Error && depth < 10; current = current.cause, depth++) {
      if (current instanceof DependencyUnavailableError && current.dependency === this.name) return true;
      if (this.dependencyFailures.has(current)) return true;
    }
    return false;
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

  /**
   * opossum opens on a failure rate once a volume of calls is reached; with calls made one at a
   * time that volume may never come. So failures are also counted in a row (a slow success counts
   * as a failure, any other success resets the count), and `threshold` of them open the breaker.
   */
  private countFailuresInARow(threshold: number, slowCallMs: number | undefined): void {
    const failed = () => {
      this.failuresInARow++;
      if (this.failuresInARow >= threshold && this.circuit.closed) this.circuit.open();
    };
    this.circuit.on('failure', (error: unknown) => {
      if (typeof error === 'object' && error !== null) this.dependencyFailures.add(error);
      failed();
    });
    // 'success' also follows a caller error: the dependency answered.
    this.circuit.on('success', (_result: unknown, latencyMs: number) => {
      if (slowCallMs !== undefined && latencyMs > slowCallMs) failed();
      else this.failuresInARow = 0;
    });
    for (const event of ['open', 'close'] as const) this.circuit.on(event, () => (this.failuresInARow = 0));
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
