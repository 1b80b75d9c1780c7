// The bus's administration CLI: `npm run nats:provision` (streams, as the admin user) and
// `npm run nats:config` (the nats-server authorization files, generated from the contracts).
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { ensureStreams, topologyFor } from '../jetstream/topology.js';
import { natsCredentialsFrom } from '../auth/nats-credentials.js';
import { natsConfigFiles } from '../auth/nats-config-files.js';

export const NATS_USAGE = `Usage:
  npm run nats:provision      Create or update the events and dead-letter streams (as the admin user)
  npm run nats:config         Regenerate nats/auth.conf and k8s/base/nats-auth.yaml from the contracts
  npm run nats:config -- --check   Only report whether they are up to date (exit 1 if not)

Environment (provision):
  NATS_URL                         The NATS server (default nats://127.0.0.1:4222)
  NATS_NAMESPACE                   The stream namespace (default: none)
  NATS_STREAM_REPLICAS             Servers each stream is stored on: 1 (default), 3 on a 3-node cluster
  NATS_USER, NATS_PASSWORD_FILE    The admin user on a server with authorization (or NATS_PASSWORD)`;

export async function runNatsCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...options] = argv;
  try {
    if (command === 'provision' && options.length === 0) return await provision(env);
    if (command === 'config' && (options.length === 0 || (options.length === 1 && options[0] === '--check'))) {
      return writeConfig(process.cwd(), options[0] === '--check');
    }
    process.stderr.write(`${NATS_USAGE}\n`);
    return 2;
  } catch (error) {
    process.stderr.write(`nats ${command}: ${(error as Error).message}\n`);
    return 1;
  }
}

async function provision(env: NodeJS.ProcessEnv): Promise<number> {
  const url = env.NATS_URL || 'nats://127.0.0.1:4222';
  const credentials = natsCredentialsFrom(env);
  const topology = topologyFor(env.NATS_NAMESPACE ?? '');
  const replicas = streamReplicasFrom(env.NATS_STREAM_REPLICAS);
  const connection = await connect({ servers: url, name: 'eventshop-provision', user: credentials?.user, pass: credentials?.password, timeout: 5_000 });
  try {
    await ensureStreams(await jetstreamManager(connection), topology, { replicas });
    process.stdout.write(`streams ${topology.eventsStream} and ${topology.deadLetterStream} (R${replicas}) are provisioned on ${url}\n`);
    return 0;
  } finally {
    await connection.close();
  }
}

/** NATS_STREAM_REPLICAS: 1 when unset; JetStream allows 1 to 5. */
export function streamReplicasFrom(value: string | undefined): number {
  if (value === undefined || value === '') return 1;
  const replicas = Number(value);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) throw new Error(`NATS_STREAM_REPLICAS must be an integer from 1 to 5, got "${value}"`);
  return replicas;
}

function writeConfig(repoRoot: string, checkOnly: boolean): number {
  let stale = 0;
  for (const { path, content } of natsConfigFiles(repoRoot)) {
    const file = join(repoRoot, path);
    let current: string | undefined;
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === content) continue;
    stale++;
    if (checkOnly) process.stderr.write(`${path} is out of date: run npm run nats:config\n`);
    else {
      writeFileSync(file, content);
      process.stdout.write(`wrote ${path}\n`);
    }
  }
  return checkOnly && stale > 0 ? 1 : 0;
}

function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exitCode = await runNatsCli(process.argv.slice(2));
