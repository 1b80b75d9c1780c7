import { readFileSync } from 'node:fs';

/** The `eventshop` block of an app's package.json: its one source for port and database name. */
export interface ServiceManifest {
  readonly name: string;
  readonly port: number;
  readonly database: string;
}

/** Reads the manifest of the app whose package.json is at `packageJsonUrl`. */
export function readServiceManifest(packageJsonUrl: URL): ServiceManifest {
  const pkg = JSON.parse(readFileSync(packageJsonUrl, 'utf8')) as {
    name: string;
    eventshop?: { port: number; database: string };
  };
  if (!pkg.eventshop) throw new Error(`${packageJsonUrl.pathname} has no "eventshop" block`);
  return { name: pkg.name.replace(/^@eventshop\//, ''), ...pkg.eventshop };
}
