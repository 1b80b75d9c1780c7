/**
 * A local OTLP/HTTP sink for measuring what tracing costs: it accepts trace exports (protobuf or
 * JSON) and throws them away, counting them, so services and benchmarks can run with tracing fully
 * on — every span sampled, batched, encoded and sent — without a Jaeger.
 *
 *   npm run bench:otlp-sink                    # prints the endpoint, e.g. http://127.0.0.1:43817
 *   OTEL_EXPORTER_OTLP_ENDPOINT=<that> npm start
 *   OTEL_EXPORTER_OTLP_ENDPOINT=<that> node --import ./libs/platform/dist/tracing/register.js tools/bench/dist/bus.bench.js
 *
 * Ctrl-C prints how many export requests arrived.
 */
// The receiver alone: the rest of the testing entry point needs jest.
import { startOtlpReceiver } from '@eventshop/platform/testing/otlp-receiver';

const sink = await startOtlpReceiver({ keep: false });
process.stdout.write(`OTLP sink listening: OTEL_EXPORTER_OTLP_ENDPOINT=${sink.endpoint}\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stdout.write(`\n${sink.requests} export requests received\n`);
    void sink.close().then(() => process.exit(0));
  });
}
