import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const TIERS = ['unit', 'int', 'e2e', 'faults'] as const;
/** The tiers that run against real services: never cached, one task at a time. */
const SERVICE_TIERS = ['int', 'e2e', 'faults'];

interface Target {
  command?: string;
  options?: { command?: string };
  cache?: boolean;
  parallelism?: boolean;
  dependsOn?: unknown[];
  outputs?: string[];
}
interface ProjectNode {
  name: string;
  data: { root: string; tags?: string[]; targets: Record<string, Target> };
}
interface ProjectGraph {
  nodes: Record<string, ProjectNode>;
  dependencies: Record<string, { target: string }[]>;
}

/**
 * Every project gets its Nx targets from scripts/nx-targets.mjs (nx.json "plugins"). This reads the
 * project graph Nx computes and checks them against what the projects hold, so a target that goes
 * missing, a tier that is not run, or a cache setting that lies fails here.
 */
describe('Nx targets', () => {
  let graph: ProjectGraph;
  let projects: ProjectNode[];
  const scratch = mkdtempSync(join(tmpdir(), 'nx-graph-'));

  beforeAll(() => {
    const file = join(scratch, 'graph.json');
    execFileSync(resolve(ROOT, 'node_modules/.bin/nx'), ['graph', `--file=${file}`], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, NX_DAEMON: 'false' } });
    graph = (JSON.parse(readFileSync(file, 'utf8')) as { graph: ProjectGraph }).graph;
    projects = Object.values(graph.nodes);
  }, 60_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('the projects are exactly the npm workspaces', () => {
    const { workspaces } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
    const folders = workspaces.flatMap((pattern) =>
      pattern.endsWith('/*') ? readdirSync(join(ROOT, pattern.slice(0, -2))).map((name) => `${pattern.slice(0, -2)}/${name}`) : [pattern],
    );
    const roots = folders.filter((folder) => existsSync(join(ROOT, folder, 'package.json')));
    expect(projects.map((p) => p.data.root).sort()).toEqual(roots.sort());
  });

  it('every project has build, lint and test', () => {
    for (const { name, data } of projects) {
      expect({ name, targets: Object.keys(data.targets) }).toEqual({ name, targets: expect.arrayContaining(['build', 'lint', 'test']) });
    }
  });

  it('a project has a test target per tier exactly when it has tests of that tier', () => {
    for (const { name, data } of projects) {
      const specs = specFiles(join(ROOT, data.root));
      const expected = TIERS.filter((tier) => specs.some((file) => file.endsWith(`.${tier}.spec.ts`))).map((tier) => `test-${tier}`);
      const actual = Object.keys(data.targets).filter((target) => /^test-/.test(target));
      expect({ name, tiers: actual.sort() }).toEqual({ name, tiers: expected.sort() });
    }
  });

  it('each tier target runs that tier of that project only', () => {
    for (const { data } of projects) {
      for (const tier of TIERS) {
        const target = data.targets[`test-${tier}`];
        if (target) expect(commandOf(target)).toBe(`node scripts/test.mjs --tier ${tier} --project ${data.root}`);
      }
    }
  });

  it('unit tests are cached; integration, end-to-end and fault tests are not, and run one task at a time', () => {
    const withTier = (tier: string) => projects.filter((p) => p.data.targets[`test-${tier}`]);
    expect(withTier('unit').length).toBeGreaterThan(0);
    expect(withTier('int').length + withTier('e2e').length + withTier('faults').length).toBeGreaterThan(0);
    for (const { name, data } of withTier('unit')) {
      // A project may opt out in its package.json (architecture-check does: it reads the whole workspace).
      const optedOut = (JSON.parse(readFileSync(join(ROOT, data.root, 'package.json'), 'utf8')) as { nx?: { targets?: Record<string, Target> } }).nx?.targets?.['test-unit']?.cache === false;
      expect({ name, cache: data.targets['test-unit']!.cache }).toEqual({ name, cache: !optedOut });
    }
    for (const { name, data } of SERVICE_TIERS.flatMap(withTier)) {
      for (const tier of SERVICE_TIERS) {
        const target = data.targets[`test-${tier}`];
        if (target) expect({ name, cache: target.cache, parallelism: target.parallelism }).toEqual({ name, cache: false, parallelism: false });
      }
    }
  });

  it('test runs the unit tier first, then the project’s other tiers', () => {
    for (const { name, data } of projects) {
      const { test } = data.targets;
      if (data.targets['test-unit']) expect({ name, dependsOn: test!.dependsOn }).toEqual({ name, dependsOn: expect.arrayContaining(['test-unit']) });
      const later = TIERS.filter((tier) => tier !== 'unit' && data.targets[`test-${tier}`]);
      if (later.length > 0) {
        expect(commandOf(test!)).toBe(`node scripts/test.mjs --project ${data.root} ${later.map((tier) => `--tier ${tier}`).join(' ')}`);
        expect(test!.cache).toBe(false);
      }
    }
  });

  it('build compiles after the dependencies, is cached, and its outputs are the tsconfig outDir', () => {
    for (const { name, data } of projects) {
      const build = data.targets['build']!;
      expect({ name, dependsOn: build.dependsOn, cache: build.cache }).toEqual({ name, dependsOn: ['^build'], cache: true });
      const { outDir } = compilerOptions(join(ROOT, data.root, 'tsconfig.json'));
      const expected = outDir === undefined ? [] : [`{projectRoot}/${relative(join(ROOT, data.root), outDir)}`];
      expect({ name, outputs: build.outputs }).toEqual({ name, outputs: expected });
    }
  });

  it('the libraries and apps build to dist/, and `npm run build` (tsconfig.build.json) builds each of them', () => {
    const references = (JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { references: { path: string }[] }).references.map((r) => r.path);
    const emitting = projects.filter((p) => (p.data.targets['build']!.outputs ?? []).length > 0);
    expect(emitting.map((p) => p.data.root)).toEqual(expect.arrayContaining(projects.filter((p) => /^(apps|libs)\//.test(p.data.root)).map((p) => p.data.root)));
    for (const { data } of emitting) {
      expect(data.targets['build']!.outputs).toEqual(['{projectRoot}/dist']);
      expect(references).toContain(data.root);
    }
  });

  it('the graph has the real dependencies: apps on the libraries, e2e and the fault suite on every app', () => {
    const dependsOn = (project: string) => (graph.dependencies[project] ?? []).map((d) => d.target);
    const apps = projects.filter((p) => p.data.tags?.includes('type:app')).map((p) => p.name);
    expect(apps.length).toBeGreaterThan(0);
    for (const app of apps) expect({ app, dependsOn: dependsOn(app) }).toEqual({ app, dependsOn: expect.arrayContaining(['@eventshop/platform', '@eventshop/messaging']) });
    expect(dependsOn('@eventshop/messaging')).toContain('@eventshop/contracts');
    expect(dependsOn('@eventshop/e2e')).toEqual(expect.arrayContaining([...apps, '@eventshop/dev-runner']));
    expect(dependsOn('@eventshop/faults')).toEqual(expect.arrayContaining([...apps, '@eventshop/e2e']));
  });
});

function commandOf(target: Target): string {
  return target.options?.command ?? target.command ?? '';
}

function compilerOptions(tsconfig: string): ts.CompilerOptions {
  const { config, error } = ts.readConfigFile(tsconfig, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(config, ts.sys, dirname(tsconfig)).options;
}

/** The *.spec.ts files under `dir`, leaving out installed and built files. */
function specFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return ['node_modules', 'dist'].includes(entry.name) ? [] : specFiles(join(dir, entry.name));
    return entry.name.endsWith('.spec.ts') ? [join(dir, entry.name)] : [];
  });
}
