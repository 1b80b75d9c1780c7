import { beforeEach, describe, expect, it } from '@jest/globals';
import { Counter, Registry } from 'prom-client';
import { retryAfter, type MessageHandler } from '../handler.js';
import { fakeReceivedMessage } from '../testing/fake-message.js';
import { MetricNames } from '../metric-names.js';
import { metrics } from './metrics.middleware.js';
import { metricSample } from '../testing/metric-sample.js';

describe('metrics middleware', () => {
  let registry: Registry;
  let clockMs: number;
  const now = () => clockMs;

  beforeEach(() => {
    registry = new Registry();
    clockMs = 0;
  });

  /** A handler that takes `ms` on the injected clock, then ends as told. */
  function handlerTaking(ms: number, ends: 'ack' | 'retry' | 'throw'): MessageHandler {
    return async () => {
      clockMs += ms;
      if (ends === 'throw') throw new Error('boom');
      return ends === 'retry' ? retryAfter(100) : undefined;
    };
  }

  it('counts deliveries per consumer and outcome', async () => {
    const measure = metrics({ registry, now });
    const message = fakeReceivedMessage({ consumer: 'email-service__send-welcome-email' });

    await measure(handlerTaking(0, 'ack'))(message);
    await measure(handlerTaking(0, 'ack'))(message);
    await measure(handlerTaking(0, 'retry'))(message);
    await expect(measure(handlerTaking(0, 'throw'))(message)).rejects.toThrow('boom');

    const consumer = 'email-service__send-welcome-email';
    expect(await metricSample(registry, MetricNames.MessagesHandled, { consumer, outcome: 'ack' })).toBe(2);
    expect(await metricSample(registry, MetricNames.MessagesHandled, { consumer, outcome: 'retry' })).toBe(1);
    expect(await metricSample(registry, MetricNames.MessagesHandled, { consumer, outcome: 'error' })).toBe(1);
  });

  it("passes the handler's outcome and error through untouched", async () => {
    const measure = metrics({ registry, now });
    await expect(measure(handlerTaking(0, 'retry'))(fakeReceivedMessage())).resolves.toEqual(retryAfter(100));
    await expect(measure(handlerTaking(0, 'throw'))(fakeReceivedMessage())).rejects.toThrow('boom');
  });

  it('times each delivery in seconds, per consumer', async () => {
    const measure = metrics({ registry, now, buckets: [0.1, 0.5, 1] });
    await measure(handlerTaking(250, 'ack'))(fakeReceivedMessage({ consumer: 'a' }));
    await expect(measure(handlerTaking(750, 'throw'))(fakeReceivedMessage({ consumer: 'a' }))).rejects.toThrow();
    await measure(handlerTaking(50, 'ack'))(fakeReceivedMessage({ consumer: 'b' }));

    const name = MetricNames.HandlingSeconds;
    expect(await metricSample(registry, name, { consumer: 'a' }, `${name}_sum`)).toBeCloseTo(1.0);
    expect(await metricSample(registry, name, { consumer: 'a' }, `${name}_count`)).toBe(2);
    expect(await metricSample(registry, name, { consumer: 'a', le: '0.5' }, `${name}_bucket`)).toBe(1);
    expect(await metricSample(registry, name, { consumer: 'a', le: '1' }, `${name}_bucket`)).toBe(2);
    expect(await metricSample(registry, name, { consumer: 'b' }, `${name}_count`)).toBe(1);
  });

  it('shares one set of metrics among all handlers wrapped with the same registry', async () => {
    await metrics({ registry, now })(handlerTaking(0, 'ack'))(fakeReceivedMessage({ consumer: 'a' }));
    await metrics({ registry, now })(handlerTaking(0, 'ack'))(fakeReceivedMessage({ consumer: 'a' }));
    expect(await metricSample(registry, MetricNames.MessagesHandled, { consumer: 'a', outcome: 'ack' })).toBe(2);
  });

  it('refuses a registry where the name belongs to a metric of another type', () => {
    new Counter({ name: MetricNames.HandlingSeconds, help: 'not a histogram', registers: [registry] });
    expect(() => metrics({ registry })).toThrow(/another type/);
  });

  it("exports every outcome's series at 0 from a group's first delivery", async () => {
    await metrics({ registry, now })(handlerTaking(0, 'ack'))(fakeReceivedMessage({ consumer: 'a' }));
    expect(await metricSample(registry, MetricNames.MessagesHandled, { consumer: 'a', outcome: 'retry' })).toBe(0);
    expect(await metricSample(registry, MetricNames.MessagesHandled, { consumer: 'a', outcome: 'error' })).toBe(0);
  });
});
