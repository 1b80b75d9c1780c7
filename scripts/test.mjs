#!/usr/bin/env node
// Runs the test tiers in order — unit, then integration, then end-to-end, then the fault suite — with Jest in native ESM
// mode, and prints one closing line with the totals ("N passed, N failed").
// Usage: node scripts/test.mjs [--tier unit|int|e2e|faults]... [--project <folder>]... [-- extra jest args]
// (Jest's own options go after `--`, e.g. `-- -t forged`: before it they would be read as this script's.)
// The fault suite (faults/, *.faults.spec.ts) is the last tier (about 3.5 minutes); it starts its
// own NATS and PostgreSQL, to stop and restart them.
// --project limits the run to the tests under that folder (the Nx test targets pass their project).
//
// The integration and end-to-end tiers need PostgreSQL and NATS (JetStream). Like `npm start`, this
// uses the ones that answer (POSTGRES_URL / NATS_URL, else the default addresses) and otherwise
// starts its own — an embedded PostgreSQL, a local nats-server — with their data in
// .eventshop/test/, and stops them when the tests end. EVENTSHOP_POSTGRES_PROBE_PORT /
// EVENTSHOP_NATS_PROBE_PORT move the default addresses, as for npm start.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { tier: { type: 'string', multiple: true }, project: { type: 'string', multiple: true } },
  allowPositionals: true,
  strict: false,
});
const rootDir = fileURLToPath(new URL('..', import.meta.url));
const tiers = values.tier ?? ['unit', 'int', 'e2e', 'faults'];
// Jest only looks for tests under its roots, so a project's run does not crawl the workspace.
const roots = (values.project ?? []).flatMap((folder) => ['--roots', folder]);
const scope = values.project ? ` in ${values.project.join(', ')}` : '';
const jest = join(rootDir, 'node_modules', 'jest', 'bin', 'jest.js');
// Unit tests spread over the cores; tests against shared NATS/Postgres/processes go one file at a time.
const workers = { unit: ['--maxWorkers=2'], int: ['--maxWorkers=2'], e2e: ['--runInBand'], faults: ['--runInBand'] };
const reports = mkdtempSync(join(tmpdir(), 'eventshop-test-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
let failedTier = false;
let jestRun; // the running Jest process, stopped with us
let servers; // PostgreSQL and NATS: found running, or started here

async function stopAndExit(code) {
  jestRun?.kill('SIGTERM');
  await servers?.stop();
  rmSync(reports, { recursive: true, force: true });
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void stopAndExit(130));

// The browser tests drive Debian's chromium (e2e/src/support/chromium.ts): say so now, not after
// the other tiers have run for minutes.
const e2eRuns = tiers.includes('e2e') && (!values.project || values.project.some((folder) => folder.replace(/\/$/, '').endsWith('e2e')));
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (e2eRuns && !existsSync(chromium)) {
  console.error(`The end-to-end tests drive a headless browser, and ${chromium} is missing: install Debian's chromium`);
  console.error('(sudo apt-get install chromium; .ci/run does) or set CHROMIUM_PATH. Or leave them out: --tier unit --tier int --tier faults.');
  await stopAndExit(1);
}

/** The running PostgreSQL and NATS, or ones started for this run (dev-runner's provideInfrastructure). */
async function provideServers() {
  const runner = new URL('../tools/dev-runner/dist/index.js', import.meta.url);
  if (!existsSync(runner)) return undefined; // not built yet: the tests look for the servers themselves
  const { provideInfrastructure } = await import(runner.href);
  const unset = (name) => (process.env[name] ?? '') === '';
  try {
    return await provideInfrastructure({
      rootDir,
      dataDir: join(rootDir, '.eventshop', 'test'),
      postgresUrl: unset('POSTGRES_URL') ? undefined : process.env.POSTGRES_URL,
      natsUrl: unset('NATS_URL') ? undefined : process.env.NATS_URL,
      // Where to look for running servers, as for npm start (default 5432 / 4222).
      defaultPostgresUrl: unset('EVENTSHOP_POSTGRES_PROBE_PORT') ? undefined : `postgres://postgres@127.0.0.1:${process.env.EVENTSHOP_POSTGRES_PROBE_PORT}`,
      defaultNatsUrl: unset('EVENTSHOP_NATS_PROBE_PORT') ? undefined : `nats://127.0.0.1:${process.env.EVENTSHOP_NATS_PROBE_PORT}`,
      onStatus: (line) => console.log(line),
    });
  } catch (error) {
    console.error(`\nThe integration and end-to-end tests need PostgreSQL and NATS:\n${error instanceof Error ? error.message : error}`);
    await stopAndExit(1);
  }
}

function runJest(tier, report, env) {
  jestRun = spawn(
    process.execPath,
    [
      '--experimental-vm-modules',
      '--no-warnings=ExperimentalWarning',
      jest,
      '--testPathPatterns',
      `\\.${tier}\\.spec\\.ts$`,
      ...roots,
      ...(workers[tier] ?? []),
      '--json',
      `--outputFile=${report}`,
      ...positionals,
    ],
    { stdio: 'inherit', env: { ...process.env, ...env, EVENTSHOP_TEST_TIER: tier } },
  );
  // Asynchronously: a server started here must keep being read from while Jest runs.
  return new Promise((resolve) => jestRun.on('exit', (code) => resolve(code)));
}

if (tiers.some((tier) => tier !== 'unit')) servers = await provideServers();

for (const tier of tiers) {
  console.log(`\n=== ${tier} tests${scope} ===`);
  const report = join(reports, `${tier}.json`);
  const status = await runJest(tier, report, tier === 'unit' ? {} : servers?.env);
  try {
    const result = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += result.numPassedTests;
    totals.failed += result.numFailedTests;
    totals.skipped += result.numPendingTests + result.numTodoTests;
    if (result.numTotalTests === 0) {
      console.error(`no ${tier} tests ran${scope}`);
      failedTier = true;
    }
  } catch {
    console.error(`${tier} tests produced no report`);
    failedTier = true;
  }
  if (status !== 0) failedTier = true;
}

console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
await stopAndExit(failedTier || totals.failed > 0 ? 1 : 0);
