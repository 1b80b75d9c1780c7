import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { discoverServices } from './discover.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const temp: string[] = [];

function workspace(apps: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), 'dev-runner-discover-'));
  temp.push(root);
  for (const [name, pkg] of Object.entries(apps)) {
    mkdirSync(join(root, 'apps', name), { recursive: true });
    writeFileSync(join(root, 'apps', name, 'package.json'), JSON.stringify(pkg));
  }
  return root;
}

afterAll(() => temp.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('discoverServices', () => {
  it('finds the apps of this repository with their manifest port, database and built entry', () => {
    const services = discoverServices(repoRoot);
    expect(services).toEqual(
      expect.arrayContaining([
        {
          name: 'user-service',
          port: 3001,
          database: 'user_service',
          entry: join(repoRoot, 'apps/user-service/dist/main.js'),
        },
        expect.objectContaining({ name: 'email-service', entry: join(repoRoot, 'apps/email-service/dist/main.js') }),
        // The console owns no database: its manifest has a port only.
        { name: 'console', port: 3000, entry: join(repoRoot, 'apps/console/dist/main.js') },
      ]),
    );
  });

  it('returns services sorted by name, skips apps without an eventshop block, and honours "main"', () => {
    const root = workspace({
      zeta: { name: '@eventshop/zeta', eventshop: { port: 4002, database: 'zeta' } },
      alpha: { name: '@eventshop/alpha', main: './build/start.js', eventshop: { port: 4001, database: 'alpha_db' } },
      beta: { name: '@eventshop/beta', eventshop: { port: 4003 } },
      'not-a-service': { name: '@eventshop/tooling' },
    });
    writeFileSync(join(root, 'apps', 'README.md'), 'not an app');

    expect(discoverServices(root)).toEqual([
      { name: 'alpha', port: 4001, database: 'alpha_db', entry: join(root, 'apps/alpha/build/start.js') },
      { name: 'beta', port: 4003, entry: join(root, 'apps/beta/dist/main.js') },
      { name: 'zeta', port: 4002, database: 'zeta', entry: join(root, 'apps/zeta/dist/main.js') },
    ]);
  });

  it('rejects a malformed manifest instead of silently dropping the service', () => {
    expect(() => discoverServices(workspace({ bad: { eventshop: { port: '3001', database: 'bad' } } }))).toThrow(
      /bad\/package\.json: "eventshop\.port"/,
    );
    expect(() => discoverServices(workspace({ bad: { eventshop: { port: 3001, database: 'Bad-Name' } } }))).toThrow(
      /"eventshop\.database"/,
    );
  });

  it('returns nothing for a directory without apps/', () => {
    expect(discoverServices(workspace({}))).toEqual([]);
  });
});
