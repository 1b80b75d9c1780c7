// One Jest config for the whole workspace. Tests run as native ES modules (NestJS 12 ships ESM
// only), so Jest needs --experimental-vm-modules; scripts/test.mjs passes it.
// The tier is the file suffix: *.unit.spec.ts, *.int.spec.ts, *.e2e.spec.ts.
import { readFileSync } from 'node:fs';

const swc = JSON.parse(readFileSync(new URL('./.swcrc', import.meta.url), 'utf8'));
delete swc.$schema;

export default {
  rootDir: '.',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: {
    // Workspace libraries resolve to their sources, so tests never run stale builds.
    '^@eventshop/dev-runner$': '<rootDir>/tools/dev-runner/src/index.ts',
    // The shop harness of the end-to-end tests, which the fault suite shares.
    '^@eventshop/e2e/support$': '<rootDir>/e2e/src/support/shop.ts',
    '^@eventshop/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
    '^@eventshop/([a-z-]+)/testing$': '<rootDir>/libs/$1/src/testing/index.ts',
    // ESM imports carry .js; map them back to the .ts sources.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
};
