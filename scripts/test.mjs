#!/usr/bin/env node
// Runs the test tiers in order — unit, then integration, then end-to-end — with Jest in native ESM
// mode, and prints one closing line with the totals ("N passed, N failed").
// Usage: node scripts/test.mjs [--tier unit|int|e2e]... [--project <folder>]... [extra jest args]
// --project limits the run to the tests under that folder (the Nx test targets pass their project).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { tier: { type: 'string', multiple: true }, project: { type: 'string', multiple: true } },
  allowPositionals: true,
  strict: false,
});
const tiers = values.tier ?? ['unit', 'int', 'e2e'];
// Jest only looks for tests under its roots, so a project's run does not crawl the workspace.
const roots = (values.project ?? []).flatMap((folder) => ['--roots', folder]);
const scope = values.project ? ` in ${values.project.join(', ')}` : '';
const jest = join(import.meta.dirname, '..', 'node_modules', 'jest', 'bin', 'jest.js');
// Unit tests spread over the cores; tests against shared NATS/Postgres/processes go one file at a time.
const workers = { unit: ['--maxWorkers=2'], int: ['--maxWorkers=2'], e2e: ['--runInBand'] };
const reports = mkdtempSync(join(tmpdir(), 'eventshop-test-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
let failedTier = false;

for (const tier of tiers) {
  console.log(`\n=== ${tier} tests${scope} ===`);
  const report = join(reports, `${tier}.json`);
  const run = spawnSync(
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
    { stdio: 'inherit', env: { ...process.env, EVENTSHOP_TEST_TIER: tier } },
  );
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
  if (run.status !== 0) failedTier = true;
}
rmSync(reports, { recursive: true, force: true });

console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedTier || totals.failed > 0 ? 1 : 0);
