import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file the console serves, held in memory: the page is small and never changes while it runs. */
export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
  /** A strong validator, so a reload costs a 304. */
  readonly etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * The browser libraries, served from the app's own node_modules (no CDN): the URL the page imports
 * them from (through its import map) → the module Node resolves for the same name. These are the
 * packages' own ES module builds, unchanged.
 */
export const VENDOR_MODULES: Readonly<Record<string, string>> = {
  preact: '/vendor/preact.mjs',
  'preact/hooks': '/vendor/preact-hooks.mjs',
  htm: '/vendor/htm.mjs',
};

/** Loads the page (`public/`, by URL path) and the vendor modules into memory. */
export function loadStaticFiles(publicDir: URL = new URL('../../public/', import.meta.url)): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const root = fileURLToPath(publicDir);
  for (const path of walk(root)) files.set(`/${relative(root, path).split(sep).join('/')}`, fileAt(path));
  for (const [specifier, url] of Object.entries(VENDOR_MODULES)) files.set(url, fileAt(fileURLToPath(import.meta.resolve(specifier))));
  return files;
}

function fileAt(path: string): StaticFile {
  const body = readFileSync(path);
  return {
    body,
    contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
  };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** The `'sha256-…'` CSP source of every inline `<script>` in `html` (the page's import map). */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)]
    .map((match) => match[1] as string)
    .filter((content) => content.trim() !== '')
    .map((content) => `'sha256-${createHash('sha256').update(content, 'utf8').digest('base64')}'`);
}
