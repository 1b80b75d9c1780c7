import { ServiceLogger, runMain, startService } from '@eventshop/platform';
import { loadUserServiceConfig, manifest } from './config.js';
import { UserServiceModule } from './user-service.module.js';

runMain(manifest.name, async () => {
  const config = loadUserServiceConfig();
  const logger = new ServiceLogger(manifest.name, { level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  await startService({ module: UserServiceModule.register(config, logger), config, logger });
  logger.info(`${manifest.name} listening on http://${config.HOST}:${config.PORT}`);
});
