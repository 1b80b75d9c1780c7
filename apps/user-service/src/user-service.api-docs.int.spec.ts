import { describeApiDocs, serviceTestConfig, startServiceUnderTest, testJwtKeys, testTokenSigner } from '@eventshop/platform/testing';
import { loadUserServiceConfig, manifest } from './config.js';
import { UserServiceModule } from './user-service.module.js';

const keys = testJwtKeys();
const config = serviceTestConfig(loadUserServiceConfig, { name: 'user_docs', keys, env: { BCRYPT_COST: '4' } });

describeApiDocs({
  serviceName: manifest.name,
  packageJson: new URL('../package.json', import.meta.url),
  signToken: testTokenSigner(keys, config),
  start: () => startServiceUnderTest({ serviceName: manifest.name, config, module: UserServiceModule.register }),
});
