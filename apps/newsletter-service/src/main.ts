import { ServiceLogger, runMain, startService } from '@eventshop/platform';
import { loadNewsletterServiceConfig, manifest } from './config.js';
import { NewsletterServiceModule } from './newsletter-service.module.js';

runMain(manifest.name, async () => {
  const config = loadNewsletterServiceConfig();
  const logger = new ServiceLogger(manifest.name, { level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  await startService({ module: NewsletterServiceModule.register(config, logger), config, logger });
  logger.info(`${manifest.name} listening on http://${config.HOST}:${config.PORT}`);
});
