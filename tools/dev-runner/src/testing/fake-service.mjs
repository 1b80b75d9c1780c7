// A stand-in for a built service, for the dev-runner's own tests: serves GET /health on PORT,
// logs JSON lines, stops gracefully on SIGTERM. Behaviour is steered by environment variables:
//   FAKE_FAIL=<text>           print "<name> cannot start: <text>" to stderr and exit 1
//   FAKE_UNHEALTHY=1           /health answers 503 forever
//   FAKE_HEALTH_DELAY_MS=<ms>  /health answers 503 for that long first
//   FAKE_IGNORE_SIGTERM=1      ignore SIGTERM (only SIGKILL stops it)
// GET /env answers the variables the runner sets, so tests can check them.
import { createServer } from 'node:http';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const name = basename(dirname(dirname(fileURLToPath(import.meta.url))));
const log = (msg) => process.stdout.write(`${JSON.stringify({ level: 'info', service: name, msg })}\n`);

if (process.env.FAKE_FAIL) {
  log('starting');
  process.stderr.write(`${name} cannot start: ${process.env.FAKE_FAIL}\n`);
  process.exit(1);
}

const readyAt = Date.now() + Number(process.env.FAKE_HEALTH_DELAY_MS ?? 0);
const server = createServer((req, res) => {
  if (req.url === '/health') {
    const ok = process.env.FAKE_UNHEALTHY !== '1' && Date.now() >= readyAt;
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: ok ? 'ok' : 'error', pid: process.pid }));
  } else if (req.url === '/env') {
    const keys = ['PORT', 'DATABASE_NAME', 'POSTGRES_URL', 'NATS_URL', 'NATS_NAMESPACE', 'SMTP_HOST', 'SMTP_PORT', 'FAKE_ROLE'];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(Object.fromEntries(keys.map((key) => [key, process.env[key] ?? null]))));
  } else {
    res.writeHead(404).end();
  }
});
server.listen(Number(process.env.PORT), () => log(`listening on ${process.env.PORT}`));

process.on('SIGTERM', () => {
  if (process.env.FAKE_IGNORE_SIGTERM === '1') {
    log('ignoring SIGTERM');
    return;
  }
  log('stopping');
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
