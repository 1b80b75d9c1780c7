import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * One runnable app: an `apps/<name>/package.json` with an `"eventshop": { "port", "database" }`
 * block (`database` left out by an app that owns none, such as the console).
 */
export interface DiscoveredService {
  /** The app's folder name under apps/ (e.g. `user-service`). */
  name: string;
  /** Its default HTTP port (from the manifest). */
  port: number;
  /** Its database name (from the manifest; none for an app without a database); the runner may add a suffix. */
  database?: string;
  /** Absolute path of its built entry point (`main` of its package.json, else `dist/main.js`). */
  entry: string;
}

interface AppPackageJson {
  main?: unknown;
  eventshop?: { port?: unknown; database?: unknown };
}

/**
 * Finds every app under `<rootDir>/apps` whose package.json has an `eventshop` block, sorted by
 * name. Apps without the block (none today) are not services and are skipped; a block with a bad
 * port or database name is an error, so a typo never silently drops a service.
 */
export function discoverServices(rootDir: string): DiscoveredService[] {
  const appsDir = join(rootDir, 'apps');
  if (!existsSync(appsDir)) return [];
  const services: DiscoveredService[] = [];
  for (const entry of readdirSync(appsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const appDir = join(appsDir, entry.name);
    const packageJsonPath = join(appDir, 'package.json');
    if (!existsSync(packageJsonPath)) continue;
    let pkg: AppPackageJson;
    try {
      pkg = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as AppPackageJson;
    } catch (error) {
      throw new Error(`${packageJsonPath} is not valid JSON: ${(error as Error).message}`);
    }
    const manifest = pkg.eventshop;
    if (manifest === undefined) continue;
    const { port, database } = manifest;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`${packageJsonPath}: "eventshop.port" must be an integer between 1 and 65535`);
    }
    if (database !== undefined && (typeof database !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(database))) {
      throw new Error(`${packageJsonPath}: "eventshop.database" must be lower-case letters, digits and _`);
    }
    const main = typeof pkg.main === 'string' && pkg.main !== '' ? pkg.main : 'dist/main.js';
    services.push({ name: entry.name, port, ...(database === undefined ? {} : { database }), entry: resolve(appDir, main) });
  }
  return services.sort((a, b) => a.name.localeCompare(b.name));
}
