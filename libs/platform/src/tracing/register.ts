// The tracing preload: `node --import ./libs/platform/dist/tracing/register.js apps/<service>/dist/main.js`
// (the Dockerfile's CMD and the dev runner start every service so). It must run before the app's
// modules load: the instrumentations patch http, express and pg as they are first loaded — through
// require() (TypeORM loads pg so) and through import (Nest's Express adapter is an ES module that
// imports express), which only a module hook registered before the app's imports can see.
//
// With no OTLP endpoint configured it loads nothing at all (see tracingRequested).
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { dirname, join } from 'node:path';
import { tracingRequested } from './trace-export.js';

/** The service's name from its package.json (`@eventshop/user-service` → `user-service`), next to dist/main.js. */
function serviceNameOf(entry: string | undefined): string {
  if (!entry) return 'unknown_service:node';
  try {
    const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { name?: string };
    return pkg.name ? pkg.name.replace(/^@eventshop\//, '') : 'unknown_service:node';
  } catch {
    return 'unknown_service:node';
  }
}

if (tracingRequested(process.env)) {
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  // The hook wraps only the modules an instrumentation asks for (express, pg, http), not every import.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  const { startTracing } = await import('./tracing.js');
  startTracing({ serviceName: serviceNameOf(process.argv[1]) });
  await waitForAllMessagesAcknowledged();
}
