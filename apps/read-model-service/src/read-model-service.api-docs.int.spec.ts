import { describeApiDocs, serviceTestConfig, startServiceUnderTest, testJwtKeys, testTokenSigner } from '@eventshop/platform/testing';
import { loadReadModelServiceConfig, manifest } from './config.js';
import { ReadModelServiceModule } from './read-model-service.module.js';

const keys = testJwtKeys();
// No ADMIN_TOKEN: the admin route answers its documented 403 (admin endpoints off).
const config = serviceTestConfig(loadReadModelServiceConfig, { name: 'read_model_docs', keys });

describeApiDocs({
  serviceName: manifest.name,
  packageJson: new URL('../package.json', import.meta.url),
  signToken: testTokenSigner(keys, config),
  start: () => startServiceUnderTest({ serviceName: manifest.name, config, module: ReadModelServiceModule.register, requestReply: true }),
});
