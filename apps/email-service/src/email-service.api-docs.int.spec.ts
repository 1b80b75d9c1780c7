import { describeApiDocs, serviceTestConfig, startServiceUnderTest, testJwtKeys, testTokenSigner } from '@eventshop/platform/testing';
import { loadEmailServiceConfig, manifest } from './config.js';
import { EmailServiceModule } from './email-service.module.js';

const keys = testJwtKeys();
// No email is sent here: the SMTP server is never reached.
const config = serviceTestConfig(loadEmailServiceConfig, { name: 'email_docs', keys, env: { NEWSLETTER_LINK_SECRET: 'api-docs-test-newsletter-link-secret' } });

describeApiDocs({
  serviceName: manifest.name,
  packageJson: new URL('../package.json', import.meta.url),
  signToken: testTokenSigner(keys, config),
  start: () => startServiceUnderTest({ serviceName: manifest.name, config, module: EmailServiceModule.register }),
});
