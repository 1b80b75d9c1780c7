import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ASYNCAPI_FILE, asyncApiYaml } from './asyncapi-file.js';

/**
 * `npm run asyncapi`: (re)writes docs/asyncapi.yaml from the contracts and the apps' bus
 * declarations. `--check` writes nothing and exits 1 when the committed file is out of date.
 */
const root = resolve(import.meta.dirname, '..', '..', '..');
const file = join(root, ASYNCAPI_FILE);
const wanted = asyncApiYaml(root);
const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
if (process.argv.includes('--check')) {
  if (current !== wanted) {
    process.stderr.write(`${ASYNCAPI_FILE} is out of date: run \`npm run asyncapi\`\n`);
    process.exit(1);
  }
  process.stdout.write(`${ASYNCAPI_FILE} is up to date\n`);
} else if (current === wanted) {
  process.stdout.write(`${ASYNCAPI_FILE} is up to date\n`);
} else {
  writeFileSync(file, wanted);
  process.stdout.write(`wrote ${ASYNCAPI_FILE}\n`);
}
