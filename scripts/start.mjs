#!/usr/bin/env node
// `npm start` (after `npm run build`): uses the PostgreSQL and NATS that are running, or starts its
// own (an embedded PostgreSQL; nats-server, if installed), starts MailDev and every service under
// apps/, waits until all answer /health, prints where everything is, and stops everything it
// started cleanly on Ctrl-C or SIGTERM.
//
// Environment: POSTGRES_URL, NATS_URL (when set, those servers must answer and nothing is started
// in their place; passed on to the services like every other variable), EVENTSHOP_EMBEDDED_POSTGRES
// (0 = never start an embedded PostgreSQL), EVENTSHOP_POSTGRES_PROBE_PORT / EVENTSHOP_NATS_PROBE_PORT
// (where to look for running servers when the URLs are unset; default 5432 / 4222), MAILDEV_SMTP_PORT
// (default 1025), MAILDEV_WEB_PORT (default 1080), EVENTSHOP_SERVICES (comma-separated app names to
// start only those; default: every app under apps/).
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const startedAt = Date.now();
const runnerEntry = new URL('../tools/dev-runner/dist/index.js', import.meta.url);
if (!existsSync(runnerEntry)) {
  process.stderr.write(
    'eventshop cannot start: tools/dev-runner is not built. Run "npm run build" ' +
      '(tsconfig.build.json must reference tools/dev-runner).\n',
  );
  process.exit(1);
}
const { provideInfrastructure, startSystem } = await import(runnerEntry.href);

const rootDir = fileURLToPath(new URL('..', import.meta.url));
const colour = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (text) => (colour ? `\x1b[1m${text}\x1b[0m` : text);
const red = (text) => (colour ? `\x1b[31m${text}\x1b[0m` : text);
const green = (text) => (colour ? `\x1b[32m${text}\x1b[0m` : text);

/** Prints a start-up failure (never a stack trace) and exits 1. */
function fail(message) {
  process.stderr.write(`\n${red('eventshop cannot start.')}\n${message}\n`);
  process.exit(1);
}

function portFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`${name} must be a port number (1-65535), not "${raw}".`);
  return port;
}

const mail = { smtpPort: portFromEnv('MAILDEV_SMTP_PORT', 1025), webPort: portFromEnv('MAILDEV_WEB_PORT', 1080) };
const postgresProbePort = portFromEnv('EVENTSHOP_POSTGRES_PROBE_PORT', 5432);
const natsProbePort = portFromEnv('EVENTSHOP_NATS_PROBE_PORT', 4222);

// Ctrl-C / SIGTERM: during start-up, abort it; once up, stop everything. A second one forces.
const startup = new AbortController();
let infrastructure; // PostgreSQL and NATS: found running, or started here
let system; // MailDev and the services
let stopping = false;

/** Stops the services first (they shut down cleanly while their database and NATS are still up), then what npm start started of PostgreSQL and NATS. */
async function stopEverything() {
  await system?.stop();
  await infrastructure?.stop();
}

async function shutdown(signal) {
  if (stopping) {
    process.stderr.write(`\n${signal} again: killing everything now.\n`);
    process.exit(1); // the runner kills its children on exit
  }
  stopping = true;
  process.stdout.write(`\n${bold(`${signal} received: stopping every service…`)}\n`);
  if (!system) {
    startup.abort(new Error(`Start-up interrupted by ${signal}.`));
    return; // the start-up below stops what it started and exits
  }
  await stopEverything();
  process.stdout.write(`${green('Everything stopped.')}\n`);
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void shutdown(signal));

// 1. PostgreSQL and NATS: the running ones, or our own (the services create their databases and streams).
const unset = (name) => (process.env[name] ?? '') === '';
const reportUnexpectedExit = (what, how, lastLines) => {
  const output = lastLines.length > 0 ? `\nIts last output:\n${lastLines.map((line) => `  | ${line}`).join('\n')}` : '';
  process.stderr.write(`\n${red(`✖ ${what} ${how}`)}${output}\nThe services cannot work without it: stop with Ctrl-C and run npm start again.\n\n`);
};
try {
  infrastructure = await provideInfrastructure({
    rootDir,
    postgresUrl: unset('POSTGRES_URL') ? undefined : process.env.POSTGRES_URL,
    natsUrl: unset('NATS_URL') ? undefined : process.env.NATS_URL,
    defaultPostgresUrl: `postgres://postgres@127.0.0.1:${postgresProbePort}`,
    defaultNatsUrl: `nats://127.0.0.1:${natsProbePort}`,
    embeddedPostgres: !['0', 'false', 'no'].includes((process.env.EVENTSHOP_EMBEDDED_POSTGRES ?? '').toLowerCase()),
    signal: startup.signal,
    onStatus: (line) => process.stdout.write(`${line}\n`),
    onUnexpectedExit: (server, exit, lastLines) =>
      reportUnexpectedExit(`The ${server.name} started by npm start`, exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`, lastLines),
  });
} catch (error) {
  if (startup.signal.aborted) {
    process.stdout.write(`${green('Start-up interrupted; everything stopped.')}\n`);
    process.exit(0);
  }
  fail(error instanceof Error ? error.message : String(error));
}

// 2. MailDev and every service, all at once.
const onlyServices = (process.env.EVENTSHOP_SERVICES ?? '').split(',').map((name) => name.trim()).filter(Boolean);
process.stdout.write(`${bold('Starting MailDev and the services…')}\n`);
try {
  system = await startSystem({
    rootDir,
    mail,
    services: onlyServices.length > 0 ? onlyServices : undefined,
    // Logs for a person at a terminal, unless LOG_FORMAT says otherwise.
    env: { LOG_FORMAT: process.env.LOG_FORMAT || 'pretty', ...infrastructure.env },
    signal: startup.signal,
    onUnexpectedExit: (service, exit) => {
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      process.stderr.write(
        `\n${red(`✖ ${service} ${how}`)} (its output is above, prefixed [${service}]). ` +
          'The other services keep running; to get it back, stop with Ctrl-C and run npm start again.\n\n',
      );
    },
  });
} catch (error) {
  await infrastructure.stop();
  if (startup.signal.aborted) {
    process.stdout.write(`${green('Start-up interrupted; everything stopped.')}\n`);
    process.exit(0);
  }
  let message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === 'PortInUseError') {
    message +=
      '\nIf it is an earlier "npm start", stop that first. MailDev can use other ports: ' +
      'MAILDEV_SMTP_PORT=2525 MAILDEV_WEB_PORT=2080 npm start';
  }
  fail(message);
}
if (stopping) {
  // The signal came just as the start-up finished.
  await stopEverything();
  process.stdout.write(`${green('Everything stopped.')}\n`);
  process.exit(0);
}

// 3. Where everything is.
const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
const services = Object.values(system.services);
const width = Math.max(12, ...services.map((service) => service.name.length)) + 2;
const local = (port) => `http://localhost:${port}`;
const lines = [
  '',
  green(bold(`eventshop is up — ${services.length} services healthy, started in ${seconds} s`)),
  '',
  ...services.map((service) => `  ${service.name.padEnd(width)}${local(service.port)}   (GET ${local(service.port)}/health)`),
  `  ${'mail UI'.padEnd(width)}${system.mail.uiUrl}   (SMTP catcher on port ${system.mail.smtpPort})`,
  ...[
    ['PostgreSQL', infrastructure.postgres],
    ['NATS', infrastructure.nats],
  ].map(([name, { url, started }]) => {
    // Relative when inside the repository; the embedded PostgreSQL's may be elsewhere (run as root).
    const where = relative(rootDir, started?.dataDir ?? rootDir);
    const origin = started ? `${started.name}, started by npm start; data in ${where.startsWith('..') ? started.dataDir : where}/` : 'already running';
    return `  ${name.padEnd(width)}${url}   (${origin})`;
  }),
  '',
];
if (infrastructure.postgres.started || infrastructure.nats.started) {
  lines.push(
    'Other commands (npm run dlq, npm run readmodel:rebuild) reach these while npm start runs with:',
    `  export POSTGRES_URL=${infrastructure.env.POSTGRES_URL} NATS_URL=${infrastructure.env.NATS_URL}`,
    '',
  );
}
const consoleApp = system.services.console;
if (consoleApp) lines.push(`${bold('The console')} — the whole system on one page: ${local(consoleApp.port)}`, '');
const users = system.services['user-service'];
if (users) {
  const body = JSON.stringify({ email: 'ada@example.com', password: 'correct-horse-battery', name: 'Ada', newsletter: true });
  lines.push(
    'Sign up a user, then find the welcome mail in the mail UI:',
    `  curl -i -X POST ${local(users.port)}/users -H 'content-type: application/json' -d '${body}'`,
    '',
  );
}
lines.push(bold('Press Ctrl-C to stop everything.'), '');
process.stdout.write(`${lines.join('\n')}\n`);
