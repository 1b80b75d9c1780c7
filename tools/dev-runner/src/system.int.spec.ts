// Starts real child processes (a tiny fake service, and MailDev) through the runner: start-up,
// health polling, kill/restart, failures during start-up and a clean stop. Needs no PostgreSQL or NATS.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { ServiceStartError, WATCHDOG_IMPORT, type ExitInfo } from './managed-process.js';
import { freePort, freePorts, PortInUseError } from './ports.js';
import { SERVICE_NODE_FLAGS, SERVICE_PROCESS_ENV, startSystem, type RunningSystem, type SystemOptions } from './system.js';
import { createFakeWorkspace, FAKE_SERVICE as fakeService, isAlive } from './testing/fake-workspace.js';

/** Ports for the two fake services, distinct (asked for one at a time they could coincide). */
async function twoPorts(): Promise<{ alpha: number; beta: number }> {
  const [alpha = 0, beta = 0] = await freePorts(2);
  return { alpha, beta };
}

jest.setTimeout(30_000);

let rootDir: string;
let removeWorkspace: () => void;

/** A workspace with two "built" apps (the fake service) plus the real node_modules (for MailDev). */
beforeAll(() => {
  ({ rootDir, remove: removeWorkspace } = createFakeWorkspace({ alpha: 'alpha_db', beta: 'beta_db' }));
});

afterAll(() => removeWorkspace());

const running: RunningSystem[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((system) => system.stop()));
});

const lines: string[] = [];
beforeEach(() => {
  lines.length = 0;
});
async function start(options: Partial<SystemOptions> = {}): Promise<RunningSystem> {
  const system = await startSystem({
    rootDir,
    ports: await twoPorts(),
    mail: false,
    healthTimeoutMs: 10_000,
    log: (service, line) => lines.push(`[${service}] ${line}`),
    ...options,
  });
  running.push(system);
  return system;
}

async function status(url: string): Promise<number | undefined> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1000) })).status;
  } catch {
    return undefined;
  }
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('startSystem', () => {
  it('starts every app, then kill, start and stop work', async () => {
    const system = await start({
      env: { NATS_NAMESPACE: 'ns1', FAKE_ROLE: 'shared' },
      databaseSuffix: '_t1',
      serviceEnv: { beta: { FAKE_ROLE: 'beta-only' } },
    });
    const { alpha, beta } = system.services;
    expect(Object.keys(system.services)).toEqual(['alpha', 'beta']);
    expect(alpha?.url).toBe(`http://127.0.0.1:${alpha?.port}`);
    expect(await status(`${alpha?.url}/health`)).toBe(200);
    expect(await status(`${beta?.url}/health`)).toBe(200);
    const betaEnv = (await (await fetch(`${beta?.url}/env`)).json()) as Record<string, string | null>;
    expect(betaEnv).toMatchObject({
      PORT: String(beta?.port),
      DATABASE_NAME: 'beta_db_t1',
      NATS_NAMESPACE: 'ns1',
      FAKE_ROLE: 'beta-only',
      SMTP_PORT: null,
    });

    // Every service runs with the services' V8 flags (as the Dockerfile's CMD gives them).
    const commandLine = execFileSync('ps', ['-o', 'args=', '-p', String(beta?.pid)], { encoding: 'utf8' }).trim().split(/\s+/);
    expect(commandLine).toEqual(expect.arrayContaining([...SERVICE_NODE_FLAGS]));
    // … and with the services' process environment (as the Dockerfile's ENV sets it).
    const environment = readFileSync(`/proc/${beta?.pid}/environ`, 'utf8').split('\0');
    expect(environment).toEqual(expect.arrayContaining(Object.entries(SERVICE_PROCESS_ENV).map(([name, value]) => `${name}=${value}`)));

    const firstPid = alpha?.pid;
    expect(isAlive(firstPid)).toBe(true);
    await system.kill('alpha');
    expect(isAlive(firstPid)).toBe(false);
    expect(alpha?.pid).toBeUndefined();
    expect(await status(`${alpha?.url}/health`)).toBeUndefined();
    expect(lines).toContain('[alpha] {"level":"info","service":"alpha","msg":"stopping"}');

    await system.start('alpha');
    expect(alpha?.pid).not.toBe(firstPid);
    expect(isAlive(alpha?.pid)).toBe(true);
    expect(await status(`${alpha?.url}/health`)).toBe(200);

    const pids = [alpha?.pid, beta?.pid];
    await system.stop();
    await system.stop(); // idempotent
    expect(pids.map(isAlive)).toEqual([false, false]);
    await expect(system.start('alpha')).rejects.toThrow('stopped');
  });

  it('kills with the given signal, and escalates nothing when the service obeys', async () => {
    const system = await start({ services: ['alpha'] });
    const pid = system.services['alpha']?.pid;
    await system.kill('alpha', 'SIGKILL');
    expect(isAlive(pid)).toBe(false);
  });

  it('reports a service that dies later, and keeps the others running', async () => {
    const exits: Array<[string, ExitInfo]> = [];
    const system = await start({ onUnexpectedExit: (service, exit) => exits.push([service, exit]) });
    process.kill(system.services['beta']?.pid ?? 0, 'SIGKILL');
    for (let i = 0; i < 50 && exits.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(exits).toEqual([['beta', { code: null, signal: 'SIGKILL' }]]);
    expect(await status(`${system.services['alpha']?.url}/health`)).toBe(200);
  });

  it('without a callback, logs the unexpected exit as a line of that service', async () => {
    const system = await start({ services: ['alpha'] });
    process.kill(system.services['alpha']?.pid ?? 0, 'SIGKILL');
    const expected = '[alpha] *** exited unexpectedly (signal SIGKILL); the others keep running';
    for (let i = 0; i < 50 && !lines.includes(expected); i++) await new Promise((r) => setTimeout(r, 50));
    expect(lines).toContain(expected);
    expect(system.services['alpha']?.pid).toBeUndefined();
  });

  it('stops everything when the start-up is aborted', async () => {
    const controller = new AbortController();
    const [alphaPort = 0, betaPort = 0] = await freePorts(2);
    const starting = start({
      ports: { alpha: alphaPort, beta: betaPort },
      serviceEnv: { beta: { FAKE_HEALTH_DELAY_MS: '20000' } },
      signal: controller.signal,
    });
    while (!lines.some((line) => line.startsWith('[beta]') && line.includes('listening on'))) {
      await new Promise((r) => setTimeout(r, 20));
    }
    controller.abort(new Error('Interrupted'));
    await expect(starting).rejects.toThrow('Interrupted');
    expect(await status(`http://127.0.0.1:${alphaPort}/health`)).toBeUndefined();
  });

  it('fails with the last output of a service that exits during start-up, and stops the others', async () => {
    const [alphaPort = 0, betaPort = 0] = await freePorts(2);
    const error = await failureOf(
      startSystem({
        rootDir,
        ports: { alpha: alphaPort, beta: betaPort },
        mail: false,
        log: () => {},
        serviceEnv: { beta: { FAKE_FAIL: 'Cannot reach NATS at nats://127.0.0.1:1' } },
      }),
    );
    expect(error).toBeInstanceOf(ServiceStartError);
    expect(error.message).toContain('beta did not start: it exited with code 1.');
    expect(error.message).toContain('beta cannot start: Cannot reach NATS at nats://127.0.0.1:1');
    expect(error.stack).not.toMatch(/\n\s+at /);
    expect(await status(`http://127.0.0.1:${alphaPort}/health`)).toBeUndefined();
  });

  it('fails naming the service that does not become healthy in time', async () => {
    const error = await failureOf(
      start({ services: ['alpha'], healthTimeoutMs: 500, serviceEnv: { alpha: { FAKE_UNHEALTHY: '1' } } }),
    );
    expect(error.message).toMatch(/^alpha did not start: GET http:\/\/127\.0\.0\.1:\d+\/health did not answer 200 within 500 ms \(last answer 503\)/);
    expect(error.message).toContain('listening on');
  });

  it('fails clearly, before starting anything, when a port is taken', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, r));
    const port = (busy.address() as { port: number }).port;
    try {
      const error = await failureOf(start({ ports: { alpha: await freePort(), beta: port } }));
      expect(error).toBeInstanceOf(PortInUseError);
      expect(error.message).toContain(`Port ${port} (beta) is already in use.`);
      expect(lines.some((line) => line.includes('listening on'))).toBe(false);
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });

  it('rejects unknown service names', async () => {
    await expect(start({ services: ['gamma'] })).rejects.toThrow('Unknown service(s): gamma; apps/ has: alpha, beta');
  });

  it('starts MailDev and points the services at it', async () => {
    const [smtpPort = 0, webPort = 0] = await freePorts(2);
    const mail = { smtpPort, webPort };
    const system = await start({ services: ['alpha'], mail });
    expect(system.mail).toEqual({
      ...mail,
      apiUrl: `http://127.0.0.1:${mail.webPort}/api`,
      uiUrl: `http://localhost:${mail.webPort}`,
    });
    const emails = await fetch(`${system.mail?.apiUrl}/email`);
    expect(emails.status).toBe(200);
    expect(await emails.json()).toEqual([]);
    const env = (await (await fetch(`${system.services['alpha']?.url}/env`)).json()) as Record<string, string>;
    expect(env).toMatchObject({ SMTP_HOST: '127.0.0.1', SMTP_PORT: String(mail.smtpPort) });
    await system.stop();
    expect(await status(`${system.mail?.apiUrl}/healthz`)).toBeUndefined();
  });
});

describe('the watchdog preloaded into every child', () => {
  it('stops the child when the runner dies without stopping it (e.g. SIGKILL)', async () => {
    const port = await freePort();
    // A stand-in runner: starts the fake service the way ManagedProcess does, then just waits.
    const runner = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         const { WATCHDOG, SCRIPT } = process.env;
         const child = spawn(process.execPath, [WATCHDOG, SCRIPT], { stdio: 'ignore', detached: true });
         console.log(child.pid);
         setInterval(() => {}, 1000);`,
      ],
      {
        env: { ...process.env, PORT: String(port), WATCHDOG: WATCHDOG_IMPORT, SCRIPT: fakeService },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const pid = await new Promise<number>((resolve) => runner.stdout.once('data', (data: Buffer) => resolve(Number(String(data).trim()))));
    try {
      for (let i = 0; i < 100 && (await status(`http://127.0.0.1:${port}/health`)) !== 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(isAlive(pid)).toBe(true);
      runner.kill('SIGKILL');
      for (let i = 0; i < 60 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
      expect(isAlive(pid)).toBe(false);
    } finally {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      runner.kill('SIGKILL');
    }
  });
});
