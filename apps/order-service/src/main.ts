import { ServiceLogger, runMain, startService } from '@eventshop/platform';
import { loadOrderServiceConfig, manifest } from './config.js';
import { OrderServiceModule } from './order-service.module.js';

runMain(manifest.name, async () => {
  const config = loadOrderServiceConfig();
  const logger = new ServiceLogger(manifest.name, { level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  await startService({ module: OrderServiceModule.register(config, logger), config, logger });
  logger.info(`${manifest.name} listening on http://${config.HOST}:${config.PORT}`);
});
