// Runs `bench:tracing --quick` as `npm run bench:tracing` would (the built script, a child process
// per mode with the services' tracing preload, a local OTLP sink), so the benchmark cannot rot: it
// must print a figure for every mode, and the sampled mode must have sent its spans.
import { describe, expect, it, jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TEST_POSTGRES_URL } from '@eventshop/messaging/testing';

const script = fileURLToPath(new URL('../dist/tracing.bench.js', import.meta.url));

jest.setTimeout(120_000);

describe('npm run bench:tracing -- --quick', () => {
  it('measures a unit of work without tracing, with nothing sampled and with every span sent, and prints the table', async () => {
    expect(existsSync(script)).toBe(true); // `npm run build` first (npm test does)
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [script, '--quick'], {
        env: { ...process.env, POSTGRES_URL: TEST_POSTGRES_URL, NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve({ code: exitCode, output: text }));
    });
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
