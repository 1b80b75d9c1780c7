/**
 * Runs tasks with bounded concurrency while keeping tasks that share a key strictly in submission
 * order (per-entity ordering with parallelism across entities).
 *
 * `run` resolves when the task has been *accepted* (a slot was free), not when it finishes, so a
 * caller pulling from a stream gets natural backpressure.
 */
export class KeyedLanes {
  private readonly tails = new Map<string, Promise<void>>();
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly capacity: number) {}

  async run(key: string, task: () => Promise<void>): Promise<void> {
    while (this.inFlight >= this.capacity) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.inFlight++;
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(task).catch(() => undefined).finally(() => {
      if (this.tails.get(key) === current) this.tails.delete(key);
      this.inFlight--;
      this.waiters.shift()?.();
      if (this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
    this.tails.set(key, current);
  }

  /** Resolves once no task is running or queued. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
