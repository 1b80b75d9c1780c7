import { readFileSync } from 'node:fs';

/**
 * The `eventshop` block of an app's package.json: its one source for port and (if it owns one)
 * database name. The console owns no database, so its block has a port only.
 */
export interface AppManifest {
  readonly name: string;
  /** The app's package version (its API documents carry it). */
  readonly version: string;
  readonly port: number;
  readonly database?: string;
}

/** The manifest of a service: an app that owns a database. */
export interface ServiceManifest extends AppManifest {
  readonly database: string;
}

/** Reads the manifest of the app whose package.json is at `packageJsonUrl`. */
export function readAppManifest(packageJsonUrl: URL): AppManifest {
  const pkg = JSON.parse(readFileSync(packageJsonUrl, 'utf8')) as {
    name: string;
    version: string;
    eventshop?: { port: number; database?: string };
  };
  if (!pkg.eventshop) throw new Error(`${packageJsonUrl.pathname} has no "eventshop" block`);
  return { name: pkg.name.replace(/^@eventshop\//, ''), version: pkg.version, ...pkg.eventshop };
}

/** Reads the manifest of the service whose package.json is at `packageJsonUrl`; it must name a database. */
export function readServiceManifest(packageJsonUrl: URL): ServiceManifest {
  const manifest = readAppManifest(packageJsonUrl);
  if (manifest.database === undefined) throw new Error(`${packageJsonUrl.pathname}: "eventshop" names no database`);
  return { ...manifest, database: manifest.database };
}
