import { describe, expect, it } from '@jest/globals';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler, SamplingDecision } from '@opentelemetry/sdk-trace';
import { WithoutTransactionControlSampler, samplerFromEnv } from './sampler.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const decide = (sampler: { shouldSample: WithoutTransactionControlSampler['shouldSample'] }, name: string) =>
  sampler.shouldSample(ROOT_CONTEXT, TRACE_ID, name, SpanKind.CLIENT, {}, []).decision;

describe('WithoutTransactionControlSampler', () => {
  const sampler = new WithoutTransactionControlSampler(new AlwaysOnSampler());

  it.each(['BEGIN', 'START', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE'])('leaves pg.query:%s out', (statement) => {
    expect(decide(sampler, `pg.query:${statement} shop`)).toBe(SamplingDecision.NOT_RECORD);
  });

  it.each(['pg.query:SELECT shop', 'pg.query:INSERT shop', 'pg.query:WITH shop', 'POST /orders', 'process shop.events.order', 'pg.query:STARTED shop'])(
    'asks the inner sampler about %s',
    (name) => {
      expect(decide(sampler, name)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
      expect(decide(new WithoutTransactionControlSampler(new AlwaysOffSampler()), name)).toBe(SamplingDecision.NOT_RECORD);
    },
  );
});

describe('samplerFromEnv', () => {
  it('follows OTEL_TRACES_SAMPLER, defaulting to parent-based always-on', () => {
    expect(samplerFromEnv({}).toString()).toMatch(/ParentBased\{root=AlwaysOnSampler/);
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'always_off' }).toString()).toBe('AlwaysOffSampler');
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }).toString()).toMatch(
      /ParentBased\{root=TraceIdRatioBased\{0\.1\}/,
    );
    // Out of range or not a number: every trace, as the SDK does.
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '7' }).toString()).toBe('TraceIdRatioBased{1}');
  });
});
