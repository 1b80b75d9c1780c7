// The tracing preload: `node --import ./libs/platform/dist/tracing/register.js apps/<service>/dist/main.js`
// (the Dockerfile's CMD and the dev runner start every service so). It must run before the app's
// modules load: the instrumentations patch http and pg as they are first required (TypeORM requires
// pg; every HTTP server is node:http's, patched on its prototype). No ES module hook is needed: the
// one library only an import hook could patch, express, is not instrumented (see tracing.ts).
//
// With no OTLP endpoint configured it loads nothing at all (see tracingRequested).
import { readFileSync } from 'node:fs';
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
  const { startTracing } = await import('./tracing.js');
  startTracing({ serviceName: serviceNameOf(process.argv[1]) });
}
