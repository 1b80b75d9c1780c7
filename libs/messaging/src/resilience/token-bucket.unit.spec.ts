import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { TokenBucket } from './token-bucket.js';

/** Lets the promise callbacks queued by a resolved timer run. */
const flush = () => jest.advanceTimersByTimeAsync(0);

describe('TokenBucket', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  function startTaking(bucket: TokenBucket, count: number): number[] {
    const served: number[] = [];
    for (let i = 0; i < count; i++) void bucket.take().then(() => served.push(i));
    return served;
  }

  it('spaces takes 1/rate apart when the burst is 1', async () => {
    const served = startTaking(new TokenBucket(10), 3);
    await flush();
    expect(served).toEqual([0]);
    await jest.advanceTimersByTimeAsync(99);
    expect(served).toEqual([0]);
    await jest.advanceTimersByTimeAsync(1);
    expect(served).toEqual([0, 1]);
    await jest.advanceTimersByTimeAsync(100);
    expect(served).toEqual([0, 1, 2]);
  });

  it('lets a full burst through at once, then refills at the rate', async () => {
    const served = startTaking(new TokenBucket(1, 3), 4);
    await flush();
    expect(served).toEqual([0, 1, 2]);
    await jest.advanceTimersByTimeAsync(999);
    expect(served).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(1);
    expect(served).toEqual([0, 1, 2, 3]);
  });

  it('never saves up more than its capacity during a quiet spell', async () => {
    const bucket = new TokenBucket(5, 2);
    await jest.advanceTimersByTimeAsync(60_000);
    const served = startTaking(bucket, 3);
    await flush();
    expect(served).toEqual([0, 1]);
    await jest.advanceTimersByTimeAsync(200);
    expect(served).toEqual([0, 1, 2]);
  });

  it('serves waiters in arrival order', async () => {
    const served = startTaking(new TokenBucket(100), 5);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(served).toEqual([0, 1, 2, 3, 4]);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects a rate of %p', (rate) => {
    expect(() => new TokenBucket(rate)).toThrow(RangeError);
  });

  it('rejects a capacity below 1', () => {
    expect(() => new TokenBucket(1, 0.5)).toThrow(RangeError);
  });
});
