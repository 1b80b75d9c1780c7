/**
 * What tracing costs one unit of work, apart from the shop: a handler-sized unit — a transaction of
 * two statements under a span, as a request or an event handler runs — repeated in a process of its
 * own per mode, so the instrumentations patch `pg` as it loads, exactly as in a service (the same
 * `--import` preload, the same SDK set-up, the same V8 flags and process environment — the small
 * young generation makes tracing's garbage cost more than V8's defaults would):
 *
 * - `off`: no OTLP endpoint, so no SDK at all (a service without `OTEL_*`);
 * - `unsampled`: the SDK and its instrumentations, `OTEL_TRACES_SAMPLER=always_off` (nothing recorded);
 * - `sampled`: every span recorded, batched, encoded as OTLP/protobuf and sent to a local sink.
 *
 * The modes run interleaved, `--rounds` times (this machine's speed drifts between runs), and the
 * table gives each mode's CPU per unit and per statement span, and what it adds over `off`. A unit
 * records three spans when sampled (its own and two statements; BEGIN and COMMIT are left out).
 * bench:shop measures what this comes to for the whole pipeline; this says where it goes.
 *
 *   npm run bench:tracing                 # 3 rounds of 6,000 units per mode
 *   npm run bench:tracing -- --quick      # a smoke run (a test runs it)
 */
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataSource } from 'typeorm';
import { trace } from '@opentelemetry/api';
import { startOtlpReceiver } from '@eventshop/platform/testing/otlp-receiver';
import { SERVICE_NODE_FLAGS, SERVICE_PROCESS_ENV } from '@eventshop/dev-runner';
import { median } from './stats.js';

const MODES = ['off', 'unsampled', 'sampled'] as const;
type Mode = (typeof MODES)[number];

/** What one child measured. */
interface ModeResult {
  readonly mode: Mode;
  readonly cpuMicrosPerUnit: number;
  readonly unitsPerSecond: number;
}

const STATEMENTS_PER_UNIT = 2;
const CONCURRENCY = 4;

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got "${process.argv[at + 1]}"`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// The child: one mode, one process.
// ---------------------------------------------------------------------------------------------

async function runChild(mode: Mode, units: number): Promise<ModeResult> {
  const dataSource = new DataSource({
    type: 'postgres',
    url: process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    extra: { max: CONCURRENCY },
  });
  await dataSource.initialize();
  const tracer = trace.getTracer('bench:tracing');
  // A unit: the span a request or a handler has, and its transaction of two statements.
  const unit = (n: number): Promise<void> =>
    tracer.startActiveSpan('unit', async (span) => {
      await dataSource.transaction(async (transaction) => {
        await transaction.query('SELECT $1::int AS n', [n]);
        await transaction.query('SELECT now() AS at');
      });
      span.end();
    });
  const run = async (count: number): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) await unit(next++);
      }),
    );
  };
  await run(Math.ceil(units / 3)); // warm-up: JIT, pool, the SDK's first batches
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await run(units);
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = (performance.now() - started) / 1000;
  await dataSource.destroy();
  return { mode, cpuMicrosPerUnit: (cpu.user + cpu.system) / units, unitsPerSecond: units / seconds };
}

// ---------------------------------------------------------------------------------------------
// The parent: the sink, the children, the table.
// ---------------------------------------------------------------------------------------------

/** The tracing preload every service starts with (libs/platform/dist/tracing/register.js). */
function tracingPreload(): string {
  const platformEntry = fileURLToPath(import.meta.resolve('@eventshop/platform'));
  return join(dirname(platformEntry), 'tracing', 'register.js');
}

function measure(mode: Mode, units: number, sinkEndpoint: string): Promise<ModeResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...SERVICE_PROCESS_ENV, NODE_OPTIONS: '' };
  for (const name of Object.keys(env)) if (name.startsWith('OTEL_')) delete env[name];
  if (mode !== 'off') env.OTEL_EXPORTER_OTLP_ENDPOINT = sinkEndpoint;
  if (mode === 'unsampled') env.OTEL_TRACES_SAMPLER = 'always_off';
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', mode, '--units', String(units)], {
      env,
      execArgv: [...SERVICE_NODE_FLAGS, '--import', tracingPreload()],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: ModeResult | undefined;
    child.once('message', (message) => (result = message as ModeResult));
    child.once('error', reject);
    child.once('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`the ${mode} child exited with ${code}`))));
  });
}

const micros = (value: number): string => value.toFixed(1);
const range = (values: readonly number[]): string => {
  const [low, high] = [Math.min(...values), Math.max(...values)];
  return low === high ? micros(low) : `${micros(low)}–${micros(high)}`;
};

async function runParent(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const units = flag('units', quick ? 300 : 6_000);
  const rounds = flag('rounds', quick ? 1 : 3);
  const sink = await startOtlpReceiver({ keep: false });
  try {
    console.log(`eventshop tracing benchmark${quick ? ' (--quick)' : ''}: ${units} units per mode and round, ${rounds} round(s), ${CONCURRENCY} at a time`);
    console.log(`A unit: a span, and a transaction of ${STATEMENTS_PER_UNIT} statements (plus BEGIN and COMMIT) on PostgreSQL. Spans go to a local OTLP sink.`);
    console.log(`Every mode runs as a service does: node ${SERVICE_NODE_FLAGS.join(' ')}, the tracing preload, ${Object.entries(SERVICE_PROCESS_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}.`);
    const results: Record<Mode, ModeResult[]> = { off: [], unsampled: [], sampled: [] };
    for (let round = 1; round <= rounds; round++) {
      for (const mode of MODES) {
        const result = await measure(mode, units, sink.endpoint);
        results[mode].push(result);
        console.log(`[round ${round}] ${mode}: ${micros(result.cpuMicrosPerUnit)} µs CPU per unit, ${Math.round(result.unitsPerSecond)} units/s`);
      }
    }
    const off = median(results.off.map((r) => r.cpuMicrosPerUnit));
    console.log('\n### bench:tracing\n');
    console.log('| mode | CPU µs per unit | median | added over off, per unit | added per statement span |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const mode of MODES) {
      const cpu = results[mode].map((r) => r.cpuMicrosPerUnit);
      const added = median(cpu) - off;
      const perStatement = mode === 'off' ? '—' : micros(added / STATEMENTS_PER_UNIT);
      console.log(`| ${mode} | ${range(cpu)} | ${micros(median(cpu))} | ${mode === 'off' ? '—' : micros(added)} | ${perStatement} |`);
    }
    console.log(`\nSpans received by the sink: ${sink.requests} export request(s). "Added per statement span" charges the unit's own span to its statements too.`);
  } finally {
    await sink.close();
  }
}

if (process.argv.includes('--child')) {
  const mode = process.argv[process.argv.indexOf('--child') + 1] as Mode;
  const result = await runChild(mode, flag('units', 6_000));
  // Exit once it is sent: the SDK's batch timer and exporter would keep the process alive.
  process.send?.(result, () => process.exit(0));
} else {
  await runParent();
}
