import { describe, expect, it } from '@jest/globals';
import { KeyedLanes } from './keyed-lanes.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('KeyedLanes', () => {
  it('runs tasks of one key strictly in order, even with spare capacity', async () => {
    const lanes = new KeyedLanes(4);
    const order: number[] = [];
    const first = deferred();
    await lanes.run('a', async () => {
      await first.promise;
      order.push(1);
    });
    await lanes.run('a', async () => {
      order.push(2);
    });
    await lanes.run('b', async () => {
      order.push(3);
    });
    // b is independent of a and must not wait for it.
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([3]);
    first.resolve();
    await lanes.idle();
    expect(order).toEqual([3, 1, 2]);
  });

  it('accepts no more than its capacity at once (backpressure)', async () => {
    const lanes = new KeyedLanes(2);
    const gate = deferred();
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await gate.promise;
      running--;
    };
    await lanes.run('1', task);
    await lanes.run('2', task);
    let thirdAccepted = false;
    const third = lanes.run('3', task).then(() => (thirdAccepted = true));
    await new Promise((r) => setImmediate(r));
    expect(thirdAccepted).toBe(false);
    gate.resolve();
    await third;
    await lanes.idle();
    expect(peak).toBe(2);
  });

  it('keeps going after a task fails', async () => {
    const lanes = new KeyedLanes(1);
    const done: string[] = [];
    await lanes.run('k', async () => {
      throw new Error('x');
    });
    await lanes.run('k', async () => {
      done.push('next');
    });
    await lanes.idle();
    expect(done).toEqual(['next']);
  });
});
