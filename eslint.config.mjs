// Lint rules for the whole workspace. The one that guards the architecture is
// @nx/enforce-module-boundaries: apps may use libraries only (never each other), libraries never
// use apps, contracts and domain depend on nothing of ours, and tools/tests may use libraries. Domain
// code (libs/domain and every app's domain/ folder) stays pure: no framework, database or broker.
import nx from '@nx/eslint-plugin';

/** What domain code may never import: it decides, others store, publish and serve. */
const PURE_DOMAIN_BANS = ['@nestjs/*', 'typeorm', 'pg', '@nats-io/*'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/.nx', 'coverage'] },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'scope:contracts', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:domain', onlyDependOnLibsWithTags: [], bannedExternalImports: PURE_DOMAIN_BANS },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
            // The fault suite (faults/) runs the shop with the e2e tests' harness (@eventshop/e2e/support).
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:tool', 'type:e2e'] },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/*/src/**/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...PURE_DOMAIN_BANS, '@eventshop/messaging', '@eventshop/platform'],
              message: 'Domain code is pure: the framework, the database and the bus belong in infrastructure/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-empty-function': 'off',
    },
  },
  {
    // Tests assert on shapes they just checked; `!` there reads better than a guard per line.
    files: ['**/*.spec.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
];
