import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Raised when a key is neither given inline nor readable from its file. */
export class JwtKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwtKeyError';
  }
}

export const DEV_PRIVATE_KEY_FILE = 'jwt-private.pem';
export const DEV_PUBLIC_KEY_FILE = 'jwt-public.pem';

/**
 * For local runs only: creates an RS256 key pair in `dir` unless one is there. Every service may
 * call this on its first start; the pair is written to a temporary folder and renamed into place,
 * so when two services race exactly one pair wins and both use it.
 */
export function ensureDevKeyPair(dir: string): void {
  if (existsSync(join(dir, DEV_PUBLIC_KEY_FILE)) && existsSync(join(dir, DEV_PRIVATE_KEY_FILE))) return;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  mkdirSync(dirname(dir), { recursive: true });
  const staging = `${dir}.${randomUUID()}.tmp`;
  mkdirSync(staging, { mode: 0o700 });
  writeFileSync(join(staging, DEV_PRIVATE_KEY_FILE), privateKey, { mode: 0o600 });
  writeFileSync(join(staging, DEV_PUBLIC_KEY_FILE), publicKey, { mode: 0o644 });
  try {
    renameSync(staging, dir);
  } catch {
    // Another process won the race (or the folder exists with other content): keep theirs.
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Loads a PEM key: inline text wins, else the file. In development a missing default key file is
 * generated (with its pair) so a fresh clone runs without setup; in production it is an error.
 */
export function loadKey(options: {
  inline?: string;
  file: string;
  name: string;
  generateIfMissing: boolean;
}): string {
  if (options.inline) return options.inline.replace(/\\n/g, '\n');
  if (!existsSync(options.file) && options.generateIfMissing) ensureDevKeyPair(dirname(options.file));
  try {
    return readFileSync(options.file, 'utf8');
  } catch {
    throw new JwtKeyError(
      `${options.name}: cannot read ${options.file}. Set ${options.name} to the PEM text or ${options.name}_FILE to a readable file.`,
    );
  }
}
