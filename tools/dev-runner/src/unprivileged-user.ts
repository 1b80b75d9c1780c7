// PostgreSQL refuses to run as root, so a runner started by root runs it as `nobody`. That user
// must reach PostgreSQL's binaries and its data folder, and a repository cloned where only root
// can enter (under /root, or in a `mktemp -d` folder: both mode 700) holds both out of its reach.
// Then the binaries are copied, and the data kept, in a folder every user can enter.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse, resolve } from 'node:path';

export interface UnprivilegedUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** As root, the user PostgreSQL runs as instead: `nobody`. Otherwise undefined (the runner's own user). */
export function unprivilegedUser(): UnprivilegedUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string): number => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
    return { name: 'nobody', uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('PostgreSQL refuses to run as root, and this machine has no user "nobody" to run it as.');
  }
}

/**
 * Whether `user` may enter `dir` (which must exist) and every folder above it, by their owner, group and mode bits
 * (the search permission, x). Supplementary groups and ACLs are not consulted: where they are what
 * lets the user in, this says no and the caller takes the shared folder, which works either way.
 */
export function canEnter(dir: string, user: UnprivilegedUser): boolean {
  for (let current = resolve(dir); ; current = dirname(current)) {
    let stat;
    try {
      stat = statSync(current);
    } catch {
      return false;
    }
    const searchable =
      stat.uid === user.uid ? (stat.mode & 0o100) !== 0 : stat.gid === user.gid ? (stat.mode & 0o010) !== 0 : (stat.mode & 0o001) !== 0;
    if (!searchable) return false;
    if (current === parse(current).root) return true;
  }
}

/**
 * The folder that holds what `nobody` could not reach: `/var/tmp/eventshop-embedded-postgres`
 * (kept across reboots, unlike /tmp), or under the system's temporary folder where there is no
 * /var/tmp. It must be root's and writable by root alone, since nobody's PostgreSQL runs what it holds.
 */
export function defaultSharedDir(): string {
  return join(existsSync('/var/tmp') ? '/var/tmp' : tmpdir(), 'eventshop-embedded-postgres');
}

/**
 * Creates `sharedDir` (mode 755) if needed. Refuses one that another user owns or may write to, and
 * one that `user` cannot enter either.
 */
export function prepareSharedDir(sharedDir: string, user: UnprivilegedUser): void {
  mkdirSync(sharedDir, { recursive: true, mode: 0o755 });
  const stat = lstatSync(sharedDir);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new Error(
      `${sharedDir} must be a folder of root's that only root may write to (the embedded PostgreSQL's binaries are copied there); ` +
        'remove it, or set POSTGRES_URL to a running PostgreSQL',
    );
  }
  if (!canEnter(sharedDir, user)) {
    throw new Error(`user "${user.name}", who runs the embedded PostgreSQL, cannot enter ${sharedDir} either; set POSTGRES_URL to a running PostgreSQL`);
  }
}

/**
 * A copy of `packageDir` (the @embedded-postgres package) inside `sharedDir`, made once per package
 * version and reused: copied under a temporary name and renamed, so a start running at the same
 * time (parallel tests) never sees half a copy.
 */
export function stagedPackage(packageDir: string, packageName: string, version: string, sharedDir: string): string {
  const staged = join(sharedDir, `${packageName.replace(/^@/, '').replace(/[^a-z0-9.-]+/gi, '-')}-${version}`);
  if (existsSync(staged)) return staged;
  const partial = `${staged}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  // The package's shared-library links are relative: copied as they are, they point inside the copy.
  cpSync(packageDir, partial, { recursive: true, verbatimSymlinks: true });
  try {
    renameSync(partial, staged);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    // Another start renamed its copy first: use that one.
    if (!existsSync(staged)) throw error;
  }
  return staged;
}

/** The data folder kept in `sharedDir` for `dataDir`: one per original path, so two clones keep apart. */
export function sharedDataDir(dataDir: string, sharedDir: string): string {
  const key = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16);
  return join(sharedDir, `data-${key}`);
}
