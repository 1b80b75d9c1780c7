// Runs `bench:tracing --quick` as `npm run bench:tracing` would (the built script, a child process
// per mode with the services' tracing preload, a local OTLP sink), so the benchmark cannot rot: it
// must print a figure for every mode, and the sampled mode must have sent its spans.
import { describe, expect, it, jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TEST_POSTGRES_URL } from '@eventshop/messaging/testing';
import { runBuiltScript } from './run-built-script.js';

const script = fileURLToPath(new URL('../dist/tracing.bench.js', import.meta.url));

jest.setTimeout(120_000);

describe('npm run bench:tracing -- --quick', () => {
  it('measures a unit of work without tracing, with nothing sampled and with every span sent, and prints the table', async () => {
    expect(existsSync(script)).toBe(true); // `npm run build` first (npm test does)
    const { code, output } = await runBuiltScript(script, ['--quick'], { POSTGRES_URL: TEST_POSTGRES_URL });
    if (code !== 0) console.error(output);
    expect(code).toBe(0);
    expect(output).toMatch(/^\| off \| [\d.]+ \| [\d.]+ \| — \| — \|$/m);
    expect(output).toMatch(/^\| unsampled \| [\d.]+ \| [\d.]+ \| -?[\d.]+ \| -?[\d.]+ \|$/m);
    expect(output).toMatch(/^\| sampled \| [\d.]+ \| [\d.]+ \| -?[\d.]+ \| -?[\d.]+ \|$/m);
    // Only the sampled mode exports; the unsampled one has an endpoint but records nothing.
    const [, requests] = /Spans received by the sink: (\d+) export request/.exec(output) ?? [];
    expect(Number(requests)).toBeGreaterThan(0);
  });
});
