// Runs `bench:shop --quick` as `npm run bench:shop` would (the built script, the real services on
// their own databases and NATS namespace, the SMTP sink), so the benchmark cannot rot unnoticed: it
// must print its table with every figure, and its exactly-once check must pass.
import { describe, expect, it, jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TEST_NATS_URL, TEST_POSTGRES_URL } from '@eventshop/messaging/testing';
import { runBuiltScript } from './run-built-script.js';

const script = fileURLToPath(new URL('../dist/shop.bench.js', import.meta.url));

jest.setTimeout(300_000);

const runBenchmark = (args: string[]) => runBuiltScript(script, args, { NATS_URL: TEST_NATS_URL, POSTGRES_URL: TEST_POSTGRES_URL });

describe('npm run bench:shop -- --quick', () => {
  it('starts the shop, prints the table of figures against the ceilings, and every order and mail arrived exactly once', async () => {
    expect(existsSync(script)).toBe(true); // `npm run build` first (npm test does)
    const { code, output } = await runBenchmark(['--quick']);
    if (code !== 0) console.error(output);
    expect(code).toBe(0);
    expect(output).toMatch(/^\| figure +\| measured +\| ceiling \(same run\) +\| ratio +\| target +\|$/m);
    for (const figure of [
      /^\| sign-ups\/s .*\| [\d.,]+ +\| [\d.,]+ bcrypt hashes\/s/m,
      /^\| CPU per sign-up, the shop’s processes together +\| [\d.]+ ms +\| [\d.]+ ms per bare bcrypt hash +\| [\d.]+ /m,
      /^\| orders\/s POST → read model, sustained .*\| [\d,]+ +\| [\d,]+ PostgreSQL commits\/s/m,
      /^\| POST → read model @ 200\/s, p50 \/ p95 \/ p99 +\| [\d.,]+ \/ [\d.,]+ \/ [\d.,]+ ms/m,
      /^\| POST \/orders @ 500\/s .*\| [\d.,]+ \/ [\d.,]+ \/ [\d.,]+ ms/m,
      /^\| outbox relay msgs\/s .*\| [\d,]+ +\| [\d,]+ raw JetStream publishes\/s/m,
      /^\| PostgreSQL round trips per order, all services +\| [\d.,]+ /m,
      // CPU per order, CPU per sign-up, round trips per order, peak RSS.
      /^\| order-service +\| [\d.]+ +\| [\d.]+ +\| [\d.]+ +\| \d+/m,
      /^\| read-model-service +\| [\d.]+ +\| [\d.]+ +\| [\d.]+ +\| \d+/m,
      /^\| email-service +\| [\d.]+ +\| [\d.]+ +\| [\d.]+ +\| \d+/m,
    ]) {
      expect(output).toMatch(figure);
    }
    expect(output).toMatch(/every order in the read model, every mail sent once +\| yes: (\d+) of \1 orders; \d+ Message-IDs, 0 duplicated, 0 missing/);
    expect(output).toMatch(/^\| POST \/orders that got no 201 .*\| 0 +\|/m);
    expect(output).toContain('exactly-once check: passed');
    expect(output).toContain('not MailDev');
  });
});
