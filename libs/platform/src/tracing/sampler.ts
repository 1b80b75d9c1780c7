import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';

/**
 * The sampler the standard variables name (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`), as
 * the SDK would build it — it does not export its own builder, and we wrap the result. Unset (or
 * unknown) is the SDK's default, `parentbased_always_on`; a ratio outside [0, 1] or not a number is 1.
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv): Sampler {
  const ratio = (): number => {
    const value = Number(env.OTEL_TRACES_SAMPLER_ARG);
    return env.OTEL_TRACES_SAMPLER_ARG && Number.isFinite(value) && value >= 0 && value <= 1 ? value : 1;
  };
  switch ((env.OTEL_TRACES_SAMPLER ?? '').trim()) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * The pg instrumentation's span name for a statement is `pg.query:<first word> <database>`: these
 * first words open, close or mark a transaction. They carry no statement of the work, take next to
 * no time in the server, and were a quarter of all spans in bench:shop (every handler runs in a
 * transaction; a mail's handler in two).
 */
const TRANSACTION_CONTROL = /^pg\.query:(BEGIN|START|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|END)( |$)/;

/**
 * Leaves transaction-control statements out of traces and asks `inner` about every other span.
 * Spans that are left out are still created (the instrumentation cannot be told beforehand) but
 * not recorded: no attributes kept, nothing batched, encoded or sent — what made tracing cost more
 * than 10 % of the shop's throughput. The traces still show every statement that reads or writes.
 */
export class WithoutTransactionControlSampler implements Sampler {
  constructor(private readonly inner: Sampler) {}

  shouldSample(context: Context, traceId: string, spanName: string, spanKind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (TRANSACTION_CONTROL.test(spanName)) return { decision: SamplingDecision.NOT_RECORD };
    return this.inner.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return `WithoutTransactionControl{${this.inner.toString()}}`;
  }
}
