import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { eventCatalogue } from '@eventshop/contracts';
import { busIdentitiesIn } from '@eventshop/messaging';
import { asyncApiDocument } from './asyncapi-document.js';

/** The committed AsyncAPI document, relative to the repository root. */
export const ASYNCAPI_FILE = 'docs/asyncapi.yaml';

/** The text `docs/asyncapi.yaml` must have for the repository at `repoRoot`: its contracts and its apps' declarations. */
export function asyncApiYaml(repoRoot: string): string {
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const document = asyncApiDocument({ version, catalogue: eventCatalogue, identities: busIdentitiesIn(join(repoRoot, 'apps')) });
  return [
    '# Generated from libs/contracts (events, owners, schemas) and apps/*/package.json ("eventshop.bus").',
    '# Do not edit: run `npm run asyncapi`; a unit test (tools/asyncapi) fails when this file is out of date.',
    stringify(document, { lineWidth: 0, aliasDuplicateObjects: false }),
  ].join('\n');
}
