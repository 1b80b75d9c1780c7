// For the dev-runner's own integration tests: a throw-away repository whose apps are the fake
// service (testing/fake-service.mjs), "built", plus the real node_modules (for MailDev).
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
export const FAKE_SERVICE = join(here, 'fake-service.mjs');
const repoRoot = resolve(here, '../../../..');

/**
 * Creates the workspace with one app per entry (`name` → database name) and returns its root.
 * The root is open to every user (mode 755): run as root, the embedded PostgreSQL runs as
 * `nobody` and keeps its data inside it.
 */
export function createFakeWorkspace(apps: Record<string, string>): { rootDir: string; remove: () => void } {
  const rootDir = mkdtempSync(join(tmpdir(), 'dev-runner-int-'));
  chmodSync(rootDir, 0o755);
  for (const [name, database] of Object.entries(apps)) {
    mkdirSync(join(rootDir, 'apps', name, 'dist'), { recursive: true });
    writeFileSync(
      join(rootDir, 'apps', name, 'package.json'),
      JSON.stringify({ name: `@eventshop/${name}`, main: './dist/main.js', eventshop: { port: 1, database } }),
    );
    copyFileSync(FAKE_SERVICE, join(rootDir, 'apps', name, 'dist', 'main.js'));
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(rootDir, 'node_modules'), 'dir');
  return { rootDir, remove: () => rmSync(rootDir, { recursive: true, force: true }) };
}

/** Whether `pid` runs; an exited orphan nobody reaped (a zombie, on Linux) counts as gone. */
export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}
