/**
 * A token bucket: tokens refill continuously at `ratePerSecond` up to `capacity`, and each `take()`
 * spends one. Callers that find the bucket empty wait in arrival order; one timer, set for the
 * moment the next token is due, serves the whole queue.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;
  private readonly waiting: Array<() => void> = [];
  private timer?: NodeJS.Timeout;

  /**
   * @param ratePerSecond tokens added per second; must be a positive finite number.
   * @param capacity most tokens the bucket holds, i.e. the largest burst; at least 1. It starts full.
   * @param now a monotonic clock in milliseconds.
   */
  constructor(
    readonly ratePerSecond: number,
    readonly capacity = 1,
    private readonly now: () => number = () => performance.now(),
  ) {
    assertBucketSettings(ratePerSecond, capacity);
    this.tokens = capacity;
    this.refilledAt = now();
  }

  /** Resolves once a token has been spent for this caller; callers are served first come, first served. */
  take(): Promise<void> {
    // Nobody may jump the queue, even when a token has just been refilled.
    if (this.waiting.length === 0 && this.tryTake()) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.scheduleNextToken();
    });
  }

  private tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(): void {
    const now = this.now();
    const earned = ((now - this.refilledAt) / 1000) * this.ratePerSecond;
    this.tokens = Math.min(this.capacity, this.tokens + earned);
    this.refilledAt = now;
  }

  private scheduleNextToken(): void {
    if (this.timer) return;
    // `tokens` is fresh here: every caller refilled just before.
    const msUntilToken = Math.max(1, Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.serveWaiting();
    }, msUntilToken);
  }

  private serveWaiting(): void {
    while (this.waiting.length > 0 && this.tryTake()) this.waiting.shift()?.();
    if (this.waiting.length > 0) this.scheduleNextToken();
  }
}

/** Throws RangeError unless the rate is a positive number per second and the capacity at least 1. */
export function assertBucketSettings(ratePerSecond: number, capacity: number): void {
  if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
    throw new RangeError(`rate must be a positive number per second, got ${ratePerSecond}`);
  }
  if (!Number.isFinite(capacity) || capacity < 1) {
    throw new RangeError(`burst capacity must be at least 1, got ${capacity}`);
  }
}
