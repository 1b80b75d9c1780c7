import { ServiceLogger, runMain, startService } from '@eventshop/platform';
import { loadReadModelServiceConfig, manifest } from './config.js';
import { ReadModelServiceModule } from './read-model-service.module.js';

runMain(manifest.name, async () => {
  const config = loadReadModelServiceConfig();
  const logger = new ServiceLogger(manifest.name, { level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  await startService({
    module: ReadModelServiceModule.register(config, logger),
    config,
    logger,
    requestReply: { serviceName: manifest.name },
  });
  logger.info(`${manifest.name} listening on http://${config.HOST}:${config.PORT}`);
});
