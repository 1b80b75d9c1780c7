import { describeApiDocs, serviceTestConfig, startServiceUnderTest, testJwtKeys, testTokenSigner } from '@eventshop/platform/testing';
import { loadNewsletterServiceConfig, manifest } from './config.js';
import { NewsletterServiceModule } from './newsletter-service.module.js';

const keys = testJwtKeys();
const config = serviceTestConfig(loadNewsletterServiceConfig, { name: 'newsletter_docs', keys, env: { NEWSLETTER_LINK_SECRET: 'api-docs-test-newsletter-link-secret' } });

describeApiDocs({
  serviceName: manifest.name,
  packageJson: new URL('../package.json', import.meta.url),
  signToken: testTokenSigner(keys, config),
  start: () => startServiceUnderTest({ serviceName: manifest.name, config, module: NewsletterServiceModule.register }),
});
