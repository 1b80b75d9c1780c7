import { describeApiDocs, serviceTestConfig, startServiceUnderTest, testJwtKeys, testTokenSigner } from '@eventshop/platform/testing';
import { loadOrderServiceConfig, manifest } from './config.js';
import { OrderServiceModule } from './order-service.module.js';

const keys = testJwtKeys();
const config = serviceTestConfig(loadOrderServiceConfig, { name: 'order_docs', keys });

describeApiDocs({
  serviceName: manifest.name,
  packageJson: new URL('../package.json', import.meta.url),
  signToken: testTokenSigner(keys, config),
  start: () => startServiceUnderTest({ serviceName: manifest.name, config, module: OrderServiceModule.register }),
});
