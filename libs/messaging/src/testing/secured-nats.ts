import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { type BusIdentity, inboxPrefixFor, natsAuthorizationConfig, NATS_ADMIN_USER, passwordVariableFor } from '../auth/nats-permissions.js';
import { natsUsers } from '../auth/nats-config-files.js';
import { topologyFor } from '../jetstream/topology.js';
import type { NatsCredentials } from '../nest/messaging-options.js';
import { freePort } from './free-port.js';

export const NATS_SERVER_EXECUTABLE = process.env.NATS_SERVER ?? '/usr/sbin/nats-server';

/** A nats-server of the test's own, with JetStream and the generated authorization config. */
export interface SecuredNats {
  readonly url: string;
  /** The credentials of `user` (a service name, or `admin`). */
  credentials(user: string): NatsCredentials;
  /** A connection as `user`; anonymous without one. */
  connect(user?: string): Promise<NatsConnection>;
  stop(): Promise<void>;
}

/**
 * Starts `/usr/sbin/nats-server` on a free port of 127.0.0.1 with its own store folder in a temp
 * directory and the authorization config `natsAuthorizationConfig` generates for `identities` in
 * `namespace`; every user gets a random password, handed to the server in its environment exactly
 * as compose and k8s do.
 */
export async function startSecuredNats(identities: readonly BusIdentity[], namespace: string): Promise<SecuredNats> {
  const dir = mkdtempSync(join(tmpdir(), 'eventshop-secured-nats-'));
  const passwords = new Map(natsUsers(identities).map((user) => [user, `p${randomBytes(18).toString('hex')}`]));
  const config = join(dir, 'nats.conf');
  writeFileSync(config, natsAuthorizationConfig(identities, topologyFor(namespace)));
  const env = { ...process.env, ...Object.fromEntries([...passwords].map(([user, password]) => [passwordVariableFor(user), password])) };
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = spawn(
      NATS_SERVER_EXECUTABLE,
      ['-c', config, '-js', '-sd', join(dir, 'store'), '-a', '127.0.0.1', '-p', String(port), '--server_name', `test-${port}`],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output: string[] = [];
    server.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    // Ready when it logs that it listens on *our* port: a server that lost the port to another
    // process exits instead, and we try another one.
    const ready = await new Promise<boolean>((resolve) => {
      const check = setInterval(() => {
        if (output.join('').includes(`Server is ready`)) finish(true);
      }, 25);
      const finish = (ok: boolean) => {
        clearInterval(check);
        clearTimeout(timer);
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false), 15_000);
      server.once('exit', () => finish(false));
    });
    if (ready && output.join('').includes(`127.0.0.1:${port}`)) {
      const url = `nats://127.0.0.1:${port}`;
      const credentials = (user: string): NatsCredentials => {
        const password = passwords.get(user);
        if (!password) throw new Error(`no NATS user ${user}`);
        return { user, password };
      };
      return {
        url,
        credentials,
        connect: (user) =>
          connect({
            servers: url,
            timeout: 5_000,
            // A service may read replies under its own inbox prefix only, as MessagingRuntime connects.
            ...(user ? { user, pass: credentials(user).password, inboxPrefix: user === ADMIN ? undefined : inboxPrefixFor(user) } : {}),
          }),
        stop: async () => {
          await stopProcess(server);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await stopProcess(server);
    if (attempt >= 3) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`nats-server did not start:\n${output.join('')}`);
    }
  }
}

/** The admin's name, for readability in tests. */
export const ADMIN = NATS_ADMIN_USER;

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
