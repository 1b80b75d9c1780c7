import { readFileSync } from 'node:fs';
import type { NatsCredentials } from '../nest/messaging-options.js';

/**
 * The NATS user from the environment: `NATS_USER` with `NATS_PASSWORD` or, better, `NATS_PASSWORD_FILE`
 * (a mounted secret; a trailing newline is ignored). No `NATS_USER`: none, an open development server.
 * Services get the same through their validated config; the CLIs (`nats:provision`, `dlq`) use this.
 */
export function natsCredentialsFrom(env: {
  readonly NATS_USER?: string;
  readonly NATS_PASSWORD?: string;
  readonly NATS_PASSWORD_FILE?: string;
}): NatsCredentials | undefined {
  const user = env.NATS_USER?.trim();
  if (!user) {
    if (env.NATS_PASSWORD || env.NATS_PASSWORD_FILE) throw new Error('NATS_PASSWORD(_FILE) is set but NATS_USER is not');
    return undefined;
  }
  if (env.NATS_PASSWORD) return { user, password: env.NATS_PASSWORD };
  if (!env.NATS_PASSWORD_FILE) throw new Error(`NATS_USER=${user} needs NATS_PASSWORD_FILE (or NATS_PASSWORD)`);
  let password: string;
  try {
    password = readFileSync(env.NATS_PASSWORD_FILE, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new Error(`NATS_PASSWORD_FILE: cannot read ${env.NATS_PASSWORD_FILE} (${(error as Error).message})`);
  }
  if (!password) throw new Error(`NATS_PASSWORD_FILE: ${env.NATS_PASSWORD_FILE} is empty`);
  return { user, password };
}
