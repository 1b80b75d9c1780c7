// `npm run readmodel:rebuild`: rebuilds the read model from the event history and swaps it in, next
// to running replicas (they keep answering and projecting). Reads the same environment as the
// service (POSTGRES_URL, DATABASE_NAME, NATS_URL, NATS_NAMESPACE, …); exits 0 once the new
// generation is live, 1 on failure, 2 while another rebuild is running.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ServiceLogger, runMain } from '@eventshop/platform';
import { loadReadModelServiceConfig, manifest } from '../config.js';
import { ReadModelServiceModule } from '../read-model-service.module.js';
import { RebuildAlreadyRunningError, RebuildReadModelHandler } from './rebuild.handler.js';

const ANOTHER_REBUILD_RUNNING = 2;

runMain(`${manifest.name} rebuild`, async () => {
  const config = loadReadModelServiceConfig();
  const logger = new ServiceLogger(manifest.name, { level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  // The service's own composition root without HTTP or consumers: the database (migrated), NATS.
  const app = await NestFactory.createApplicationContext(ReadModelServiceModule.register(config, logger), {
    logger,
    abortOnError: false,
  });
  try {
    const summary = await app.get(RebuildReadModelHandler).execute();
    process.stdout.write(
      `read model rebuilt: ${summary.eventsProjected} events projected, ${summary.eventsSkipped} skipped, ` +
        `up to stream sequence ${summary.lastSequence}, in ${summary.durationMs} ms\n`,
    );
  } catch (error) {
    if (!(error instanceof RebuildAlreadyRunningError)) throw error;
    process.stderr.write(`${error.message}; try again once it has finished\n`);
    process.exitCode = ANOTHER_REBUILD_RUNNING;
  } finally {
    await app.close();
  }
});
