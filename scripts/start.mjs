#!/usr/bin/env node
// `npm start` (after `npm run build`): checks that PostgreSQL and NATS are up, starts MailDev and
// every service under apps/, waits until all answer /health, prints where everything is, and
// stops it all cleanly on Ctrl-C or SIGTERM.
//
// Environment: POSTGRES_URL, NATS_URL (checked here, and passed on to the services like every other
// variable), MAILDEV_SMTP_PORT (default 1025), MAILDEV_WEB_PORT (default 1080), EVENTSHOP_SERVICES
// (comma-separated app names to start only those; default: every app under apps/).
import { existsSync } from 'node:fs';
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
const { checkInfrastructure, startSystem } = await import(runnerEntry.href);

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

// Ctrl-C / SIGTERM: during start-up, abort it; once up, stop everything. A second one forces.
const startup = new AbortController();
let system;
let stopping = false;
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
  await system.stop();
  process.stdout.write(`${green('Everything stopped.')}\n`);
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void shutdown(signal));

// 1. PostgreSQL and NATS must already be running (the services create their databases and streams).
const postgresUrl = process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432';
const natsUrl = process.env.NATS_URL || 'nats://127.0.0.1:4222';
try {
  await checkInfrastructure({ postgresUrl, natsUrl });
} catch (error) {
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
  await system.stop();
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
  '',
];
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
