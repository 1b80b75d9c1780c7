import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parseDocument } from 'yaml';

/** The monorepo root (this file is tools/deploy-check/src/workspace.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** An app that is a deployable service: it has an `eventshop` block in its package.json. */
export interface AppService {
  /** The folder name under apps/; also the compose service, k8s Deployment/Service and SERVICE build arg. */
  readonly service: string;
  readonly port: number;
  /** Its own database; absent for an app that owns none (the console). */
  readonly database?: string;
}

/** Same rule as DATABASE_NAME in libs/platform/src/config/config.ts. */
const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Finds the services: every apps/<folder>/package.json that has an `eventshop` block. Folders
 * without a package.json, or whose package.json has no such block, are not services and are
 * skipped. A malformed block is an error (thrown), not something to skip.
 */
export function discoverApps(appsDir: string = join(REPO_ROOT, 'apps')): AppService[] {
  if (!existsSync(appsDir)) return [];
  const apps: AppService[] = [];
  for (const entry of readdirSync(appsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const file = join(appsDir, entry.name, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; eventshop?: unknown };
    if (pkg.eventshop === undefined) continue;
    const block = pkg.eventshop as { port?: unknown; database?: unknown };
    const problems: string[] = [];
    if (typeof block !== 'object' || block === null) problems.push('"eventshop" must be an object');
    else {
      if (!Number.isInteger(block.port) || (block.port as number) < 1 || (block.port as number) > 65535) {
        problems.push(`"eventshop.port" must be an integer in 1..65535, got ${JSON.stringify(block.port)}`);
      }
      if (block.database !== undefined && (typeof block.database !== 'string' || !DATABASE_NAME.test(block.database))) {
        problems.push(`"eventshop.database" must match ${DATABASE_NAME}, got ${JSON.stringify(block.database)}`);
      }
    }
    // The platform derives the service name from the package name (readServiceManifest), while
    // compose/k8s use the folder name: the two must agree.
    if (pkg.name !== `@eventshop/${entry.name}`) {
      problems.push(`"name" must be "@eventshop/${entry.name}" (the folder name), got ${JSON.stringify(pkg.name)}`);
    }
    if (problems.length > 0) throw new Error(`${file}:\n  ${problems.join('\n  ')}`);
    const database = (block as { database?: string }).database;
    apps.push({ service: entry.name, port: (block as { port: number }).port, ...(database === undefined ? {} : { database }) });
  }
  return apps.sort((a, b) => a.service.localeCompare(b.service));
}

/**
 * Parses one YAML document the way Docker Compose does: YAML 1.1 merge keys (`<<: *anchor`) are
 * honoured. Duplicate keys and syntax errors throw.
 */
export function readYaml(file: string): unknown {
  const doc = parseDocument(readFileSync(file, 'utf8'), { merge: true, prettyErrors: true });
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('\n')}`);
  return doc.toJS({ maxAliasCount: 100 });
}

/** Parses a multi-document YAML file (`---` separated), skipping empty documents. */
export function readYamlDocuments(file: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { prettyErrors: true });
  if (!Array.isArray(docs)) throw new Error(`${file}: not a YAML stream`);
  const values: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('\n')}`);
    const value = doc.toJS() as unknown;
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

/** Every string in `value` (deeply) that holds PEM armour, as "path: first line" entries. */
export function findPemText(value: unknown, path = ''): string[] {
  if (typeof value === 'string') {
    return /-----BEGIN [A-Z0-9 ]+-----/.test(value) ? [`${path || '(root)'}: ${value.split('\n')[0]}`] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => findPemText(item, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => findPemText(item, path ? `${path}.${key}` : key));
  }
  return [];
}

/** A plain object (not an array, not null), for narrowing parsed YAML. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The README's configuration table ("| variable | services | default | meaning |"): for each
 * variable, who reads it: "*" for all services, an app's folder name as written when it is one of
 * `appNames` (e.g. "console"), "<name>-service" for "<name>", or the tool's own words (e.g.
 * "npm start"). A first cell may name several variables (`A` / `B`). Returns null when there is no
 * such table.
 */
export function readmeEnvTable(markdown: string, appNames: readonly string[] = []): Map<string, string[]> | null {
  const lines = markdown.split('\n');
  const header = lines.findIndex((line) => /^\|\s*variable\s*\|\s*services\s*\|/i.test(line));
  if (header < 0) return null;
  const table = new Map<string, string[]>();
  for (const line of lines.slice(header + 2)) {
    if (!line.trim().startsWith('|')) break;
    const [names = '', services = ''] = line.split('|').slice(1).map((cell) => cell.trim());
    const scopes = services
      .split(',')
      .map((s) => s.replace(/`/g, '').trim())
      .map((s) => (s === 'all' ? '*' : appNames.includes(s) ? s : /^[a-z][a-z-]*$/.test(s) ? `${s}-service` : s))
      .sort();
    for (const match of names.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) table.set(match[1] as string, scopes);
  }
  return table;
}
