import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { MetricNames } from '../metric-names.js';
import { metricSample } from '../testing/metric-sample.js';
import type { BreakerState } from '../resilience/dependency-breaker.js';
import type { BusState } from './bus-state.js';
import { registerBusStateMetrics } from './bus-state.metrics.js';

describe('registerBusStateMetrics', () => {
  function setUp() {
    const registry = new Registry();
    const world: { state: BusState | Error; breakers: Array<[string, BreakerState]> } = {
      state: { consumers: [], deadLetters: new Map() },
      breakers: [],
    };
    registerBusStateMetrics(registry, {
      busState: async () => {
        if (world.state instanceof Error) throw world.state;
        return world.state;
      },
      breakers: () => world.breakers,
    });
    return { registry, world };
  }

  it('reports each group’s pending, ack-pending and dead letters as read at scrape time', async () => {
    const { registry, world } = setUp();
    world.state = {
      consumers: [
        { group: 'svc__a', pending: 7, ackPending: 2 },
        { group: 'svc__b', pending: 0, ackPending: 0 },
      ],
      deadLetters: new Map([['svc__a', 3], ['svc__b', 0]]),
    };
    expect(await metricSample(registry, MetricNames.ConsumerPending, { consumer: 'svc__a' })).toBe(7);
    expect(await metricSample(registry, MetricNames.ConsumerAckPending, { consumer: 'svc__a' })).toBe(2);
    expect(await metricSample(registry, MetricNames.ConsumerPending, { consumer: 'svc__b' })).toBe(0);
    expect(await metricSample(registry, MetricNames.DeadLetterDepth, { consumer: 'svc__a' })).toBe(3);

    world.state = { consumers: [{ group: 'svc__a', pending: 0, ackPending: 0 }], deadLetters: new Map([['svc__a', 1]]) };
    expect(await metricSample(registry, MetricNames.ConsumerPending, { consumer: 'svc__a' })).toBe(0);
    expect(await metricSample(registry, MetricNames.DeadLetterDepth, { consumer: 'svc__a' })).toBe(1);
  });

  it('reports no series, and still scrapes, while the broker cannot be asked', async () => {
    const { registry, world } = setUp();
    world.state = { consumers: [{ group: 'svc__a', pending: 5, ackPending: 0 }], deadLetters: new Map([['svc__a', 1]]) };
    expect(await metricSample(registry, MetricNames.ConsumerPending, { consumer: 'svc__a' })).toBe(5);
    world.state = new Error('not connected');
    expect(await metricSample(registry, MetricNames.ConsumerPending, { consumer: 'svc__a' })).toBeUndefined();
    expect(await metricSample(registry, MetricNames.DeadLetterDepth, { consumer: 'svc__a' })).toBeUndefined();
    await expect(registry.metrics()).resolves.toContain(`# TYPE ${MetricNames.ConsumerPending} gauge`);
  });

  it('maps breaker states to 0 closed, 1 half-open, 2 open, and leaves out one shut down', async () => {
    const { registry, world } = setUp();
    world.breakers = [['smtp', 'closed'], ['payments', 'halfOpen'], ['search', 'open'], ['gone', 'shutdown']];
    const state = (dependency: string) => metricSample(registry, MetricNames.CircuitBreakerState, { dependency });
    expect(await state('smtp')).toBe(0);
    expect(await state('payments')).toBe(1);
    expect(await state('search')).toBe(2);
    expect(await state('gone')).toBeUndefined();
    world.breakers = [['smtp', 'open']];
    expect(await state('smtp')).toBe(2);
  });
});
