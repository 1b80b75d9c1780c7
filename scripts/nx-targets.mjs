// The Nx plugin (nx.json "plugins") that gives every project its targets, worked out from what the
// project holds, so a new lib, app or tool gets them with no Nx configuration of its own:
//
//   build      tsc -p <project>/tsconfig.json after its dependencies' builds. Cached; the outputs are
//              the tsconfig's outDir. A project whose tsconfig emits nothing (e2e, the checks) is
//              type-checked instead. No tsconfig.json, no build.
//   lint       eslint <project>. Cached.
//   test-unit  its *.unit.spec.ts. Cached: pure tests, the result follows from the files alone.
//   test-int   its *.int.spec.ts. NOT cached: they run against PostgreSQL and NATS, so a pass says
//              something about those services at that moment, not only about the files.
//   test-e2e   its *.e2e.spec.ts, after building everything it depends on (e2e depends on every
//              app). NOT cached, for the same reason.
//   test-faults its *.faults.spec.ts (the fault suite, faults/): like test-e2e.
//   test       all of the above tiers the project has, in tier order: unit, int, e2e, faults.
//
// A tier target exists only where the project has files of that tier. The tests run through
// scripts/test.mjs (one Jest per tier, rooted at the project), so each ends with the same
// "N passed, N failed, N skipped" line as `npm test`. int and e2e never run beside another task:
// they are isolated (own databases and NATS namespaces) but the machines have few cores and the
// tests have deadlines. A project overrides any of this in its package.json "nx": { "targets" }.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/** @typedef {import('nx/src/devkit-exports').TargetConfiguration} Target */

const TIERS = ['unit', 'int', 'e2e', 'faults'];
/** Tiers that start the built apps as processes. */
const PROCESS_TIERS = ['e2e', 'faults'];

/** A project's tests may sit anywhere in it, except in installed or built files. */
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist']);

/** The projects are exactly npm's workspaces (package.json "workspaces"). */
const { workspaces } = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
const projectManifests = `{${workspaces.map((/** @type {string} */ pattern) => `${pattern}/package.json`).join(',')}}`;

/** @type {import('nx/src/devkit-exports').CreateNodes} */
export const createNodes = [
  projectManifests,
  (manifests, _options, context) =>
    manifests.map((manifest) => {
      const root = dirname(manifest);
      return [manifest, { projects: { [root]: { targets: targetsOf(join(context.workspaceRoot, root)) } } }];
    }),
];

/** The targets of the project in folder `dir`. */
function targetsOf(/** @type {string} */ dir) {
  const tiers = TIERS.filter((tier) => containsFile(dir, `.${tier}.spec.ts`));
  /** @type {Record<string, Target>} */
  const targets = { ...buildTarget(dir), lint: lintTarget() };
  for (const tier of tiers) targets[`test-${tier}`] = tierTarget(tier);
  targets.test = testTarget(tiers);
  return targets;
}

/** @returns {{ build?: Target }} */
function buildTarget(/** @type {string} */ dir) {
  const tsconfig = join(dir, 'tsconfig.json');
  if (!existsSync(tsconfig)) return {};
  const { options } = readTsconfig(tsconfig);
  const { outDir, tsBuildInfoFile } = options;
  const emits = !options.noEmit && outDir !== undefined;
  const base = {
    command: 'tsc -p {projectRoot}/tsconfig.json',
    // Its imports resolve to the dependencies' emitted .d.ts files, so those are built first.
    dependsOn: ['^build'],
    cache: true,
    inputs: [emits ? 'production' : 'default', '^production', { externalDependencies: ['typescript'] }],
  };
  if (!emits) return { build: { ...base, outputs: [], metadata: { description: 'Type-checks the project (it emits nothing).' } } };
  const outputs = [outDir];
  // The incremental-build state is restored with the output (ours sits inside outDir anyway).
  if (tsBuildInfoFile !== undefined && relative(outDir, tsBuildInfoFile).startsWith('..')) outputs.push(tsBuildInfoFile);
  return {
    build: {
      ...base,
      outputs: outputs.map((path) => `{projectRoot}/${relative(dir, path)}`),
      metadata: { description: `Compiles the project to ${relative(dir, outDir)}/.` },
    },
  };
}

/** @returns {Target} */
function lintTarget() {
  return {
    command: 'eslint {projectRoot}',
    cache: true,
    // The boundary rule reads the tags of the projects it imports, which live in their package.json.
    inputs: ['default', '^projectManifest', '{workspaceRoot}/eslint.config.mjs', { externalDependencies: ['eslint', 'typescript-eslint', '@nx/eslint-plugin'] }],
  };
}

/** @returns {Target} */
function tierTarget(/** @type {string} */ tier) {
  const command = `node scripts/test.mjs --tier ${tier} --project {projectRoot}`;
  if (tier === 'unit') {
    return { command, cache: true, inputs: ['default', '^production', 'testRunner'], metadata: { description: 'Unit tests (cached).' } };
  }
  return {
    command,
    cache: false, // PostgreSQL and NATS are part of what they test.
    parallelism: false,
    // The e2e tests and the fault suite start the built apps as processes.
    ...(PROCESS_TIERS.includes(tier) ? { dependsOn: ['^build'] } : {}),
    metadata: { description: `${{ int: 'Integration tests', e2e: 'End-to-end tests', faults: 'The fault suite' }[tier]} against real services (never cached).` },
  };
}

/** @returns {Target} */
function testTarget(/** @type {string[]} */ tiers) {
  const dependsOn = tiers.includes('unit') ? ['test-unit'] : [];
  const later = tiers.filter((tier) => tier !== 'unit');
  if (later.length === 0) {
    return { executor: 'nx:noop', dependsOn, metadata: { description: tiers.length ? 'Every test tier: unit.' : 'No tests yet.' } };
  }
  return {
    // The unit tier runs first as its own (cached) task; the rest run here, in tier order.
    command: `node scripts/test.mjs --project {projectRoot} ${later.map((tier) => `--tier ${tier}`).join(' ')}`,
    dependsOn: [...dependsOn, ...(later.some((tier) => PROCESS_TIERS.includes(tier)) ? ['^build'] : [])],
    cache: false,
    parallelism: false,
    metadata: { description: `Every test tier: ${tiers.join(', then ')}.` },
  };
}

function readTsconfig(/** @type {string} */ file) {
  const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(config, ts.sys, dirname(file));
}

/** @returns {boolean} whether a file under `dir` ends with `suffix` */
function containsFile(/** @type {string} */ dir, /** @type {string} */ suffix) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name) && !entry.name.startsWith('.') && containsFile(join(dir, entry.name), suffix)) return true;
    } else if (entry.name.endsWith(suffix)) {
      return true;
    }
  }
  return false;
}
