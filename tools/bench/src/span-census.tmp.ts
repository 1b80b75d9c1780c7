import { startOtlpReceiver } from '@eventshop/platform/testing/otlp-receiver';
const sink = await startOtlpReceiver({ keep: true });
process.stdout.write(`${sink.endpoint}\n`);
process.once('SIGINT', () => {
  const counts = new Map<string, number>();
  for (const s of sink.spans) { const k = `${s.service} | ${s.name}`; counts.set(k, (counts.get(k) ?? 0) + 1); }
  for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1])) process.stdout.write(`${String(n).padStart(7)} ${k}\n`);
  process.stdout.write(`total ${sink.spans.length}\n`);
  process.exit(0);
});
