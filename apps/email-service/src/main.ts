import { ServiceLogger, runMain, startService } from '@eventshop/platform';
import { loadEmailServiceConfig, manifest } from './config.js';
import { EmailServiceModule } from './email-service.module.js';

runMain(manifest.name, async () => {
  const config = loadEmailServiceConfig();
  const logger = new ServiceLogger(manifest.name, { level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  await startService({ module: EmailServiceModule.register(config, logger), config, logger });
  logger.info(`${manifest.name} listening on http://${config.HOST}:${config.PORT}`);
});
