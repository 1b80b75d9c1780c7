import { ServiceLogger, runMain, startService } from '@eventshop/platform';
import { loadConsoleConfig, manifest } from './config.js';
import { ConsoleModule } from './console.module.js';

runMain(manifest.name, async () => {
  const config = loadConsoleConfig();
  const logger = new ServiceLogger(manifest.name, { level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  await startService({ module: ConsoleModule.register(config, logger), config, logger });
  logger.info(`${manifest.name} listening on http://${config.HOST}:${config.PORT} — open http://localhost:${config.PORT}`);
});
