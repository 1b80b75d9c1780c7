import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { UserSignedUpV1 } from '@eventshop/contracts';
import type { EventBus } from '@eventshop/messaging';

/** Commits `rows` events through EventBus.publish: 4 concurrent writers, 50 events per transaction. */
export async function fillOutbox(ds: DataSource, bus: EventBus, rows: number): Promise<number> {
  const perTransaction = 50;
  let next = 0;
  const t0 = performance.now();
  const writer = async () => {
    while (next < rows) {
      const from = next;
      const to = Math.min(rows, from + perTransaction);
      next = to;
      await ds.transaction(async (tx) => {
        for (let i = from; i < to; i++) {
          const userId = randomUUID();
          await bus.publish(
            tx,
            UserSignedUpV1,
            {
              userId,
              email: `user${i}@example.com`,
              name: `User ${i}`,
              newsletterOptIn: i % 2 === 0,
              occurredAt: new Date().toISOString(),
            },
            { aggregateId: userId },
          );
        }
      });
    }
  };
  await Promise.all(Array.from({ length: 4 }, writer));
  return rows / ((performance.now() - t0) / 1000);
}
