/**
 * docs/asyncapi.yaml: committed exactly as generated, valid AsyncAPI 3.0 (the official parser), and
 * in step with what the services really publish (their sources) and consume (their declarations,
 * which each service's API-docs int test checks against its @OnEvent handlers).
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { type AsyncAPIDocumentInterface, type Diagnostic, Parser } from '@asyncapi/parser';
import { z } from 'zod';
import * as contracts from '@eventshop/contracts';
import { defineEvent, type EventContract, eventCatalogue } from '@eventshop/contracts';
import { busIdentitiesIn } from '@eventshop/messaging';
import { asyncApiDocument, eventKey, payloadSchema, PERSONAL_DATA_EXTENSION, receiveOperationId, sendOperationId } from './asyncapi-document.js';
import { ASYNCAPI_FILE, asyncApiYaml } from './asyncapi-file.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const committed = readFileSync(join(ROOT, ASYNCAPI_FILE), 'utf8');
const identities = busIdentitiesIn(join(ROOT, 'apps'));
const appNames = readdirSync(join(ROOT, 'apps')).filter((name) => existsSync(join(ROOT, 'apps', name, 'package.json')));

/** The ts sources of an app that run in production (no specs, no test fixtures). */
function productionSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !file.includes('/testing/'));
}

/**
 * The contracts an app's code publishes: the events handed to `eventBus.publish(transaction, X, …)`
 * or `integrationEvent(X, …)` (the outbox's two doors), read from its sources.
 */
function publishedBy(app: string): string[] {
  const published = new Set<string>();
  for (const file of productionSources(join(ROOT, 'apps', app, 'src'))) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/(?:\bintegrationEvent|\.publish)\(\s*(?:\w+\s*,\s*)?([A-Z]\w*V\d+)\b/g)) {
      const contract = (contracts as Record<string, unknown>)[match[1]!] as EventContract | undefined;
      if (!contract?.subject) throw new Error(`${file} publishes ${match[1]}, which is not a contract of libs/contracts`);
      published.add(`${contract.name}.v${contract.version}`);
    }
  }
  return [...published].sort();
}

describe('docs/asyncapi.yaml', () => {
  let document: AsyncAPIDocumentInterface;
  let diagnostics: Diagnostic[];

  beforeAll(async () => {
    const parsed = await new Parser().parse(committed);
    diagnostics = parsed.diagnostics;
    if (!parsed.document) throw new Error(`the parser could not read ${ASYNCAPI_FILE}: ${diagnostics.map((d) => d.message).join('; ')}`);
    document = parsed.document;
  }, 30_000);

  it('is committed exactly as generated from the contracts and apps/*/package.json (run `npm run asyncapi` after changing either)', () => {
    expect(committed).toBe(asyncApiYaml(ROOT));
  });

  it('is reported stale when an app declares one more consumer group', () => {
    const root = mkdtempSync(join(tmpdir(), 'asyncapi-'));
    try {
      cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
      cpSync(join(ROOT, 'apps'), join(root, 'apps'), { recursive: true, filter: (src) => !/node_modules|dist|src/.test(src.slice(ROOT.length)) });
      const file = join(root, 'apps', 'order-service', 'package.json');
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      pkg.eventshop.bus.consumes['notice-newsletter'] = 'NewsletterSubscribed.v1';
      writeFileSync(file, JSON.stringify(pkg));
      const stale = asyncApiYaml(root);
      expect(stale).not.toBe(committed);
      expect(stale).toContain('order-service__notice-newsletter__NewsletterSubscribedV1');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('is valid AsyncAPI 3.0 for the official parser, without errors', () => {
    expect(diagnostics.filter((diagnostic) => diagnostic.severity === 0).map((diagnostic) => `${diagnostic.path.join('.')}: ${diagnostic.message}`)).toEqual([]);
    expect(document.version()).toBe('3.0.0');
    expect(document.channels().length).toBe(eventCatalogue.length);
  });

  it('the parser refuses a broken document (the check above can fail)', async () => {
    const broken = committed.replace('    action: send\n', '    action: publish\n');
    const { diagnostics } = await new Parser().parse(broken);
    expect(diagnostics.some((diagnostic) => diagnostic.severity === 0)).toBe(true);
  });

  it('has one channel per event at its subject, with its owner as the only sender', () => {
    for (const { contract, owner } of eventCatalogue) {
      const channel = document.channels().get(eventKey(contract));
      if (!channel) throw new Error(`no channel ${eventKey(contract)}`);
      expect(channel.address()).toBe(contract.subject);
      const senders = channel.operations().filterBySend().map((operation) => operation.id());
      expect(senders).toEqual([sendOperationId(owner, contract)]);
      expect(channel.messages().all()[0]?.payload()?.properties()?.['data']).toBeDefined();
    }
  });

  it.each(appNames)('%s: sends exactly the events its code publishes, all of them its own in the catalogue', (app) => {
    const sent = document
      .operations()
      .filterBySend()
      .filter((operation) => operation.tags().all().some((tag) => tag.name() === app))
      .flatMap((operation) => operation.messages().all().map((message) => `${message.name()}.v${message.extensions().get('x-event-version')?.value()}`))
      .sort();
    expect(sent).toEqual(publishedBy(app));
    const owned = eventCatalogue.filter((entry) => entry.owner === app).map(({ contract }) => `${contract.name}.v${contract.version}`);
    expect(sent).toEqual(owned.sort());
  });

  it.each(appNames)('%s: receives exactly through the consumer groups its package.json declares', (app) => {
    const received = document
      .operations()
      .filterByReceive()
      .filter((operation) => operation.tags().all().some((tag) => tag.name() === app))
      .map((operation) => operation.id())
      .sort();
    const consumes = identities.find((identity) => identity.service === app)?.consumes ?? {};
    const expected = Object.entries(consumes).flatMap(([handler, event]) =>
      eventCatalogue
        .filter(({ contract }) => event === '*' || event === `${contract.name}.v${contract.version}`)
        .map(({ contract }) => receiveOperationId(app, handler, contract)),
    );
    expect(received).toEqual(expected.sort());
  });
});

describe('personal data in the document', () => {
  const Probe = defineEvent({
    name: 'ProbeHappened',
    version: 1,
    context: 'probe',
    schema: z.strictObject({
      userId: z.uuid(),
      email: z.email().meta({ personal: true }),
      profile: z.object({ name: z.string().meta({ personal: true, description: 'as typed' }) }).optional(),
      addresses: z.array(z.string().meta({ personal: true })),
      plan: z.string(),
    }),
  });

  it('marks a field whose schema says .meta({ personal: true }) with x-personal-data: true, nested and in lists too', () => {
    const schema = payloadSchema(Probe.schema) as { properties: Record<string, Record<string, unknown>> };
    expect(schema.properties['email']?.[PERSONAL_DATA_EXTENSION]).toBe(true);
    expect((schema.properties['profile'] as { properties: Record<string, Record<string, unknown>> }).properties['name']).toMatchObject({
      [PERSONAL_DATA_EXTENSION]: true,
      description: 'as typed',
    });
    expect((schema.properties['addresses']?.['items'] as Record<string, unknown>)[PERSONAL_DATA_EXTENSION]).toBe(true);
    expect(schema.properties['plan']).not.toHaveProperty(PERSONAL_DATA_EXTENSION);
    expect(schema.properties['userId']).not.toHaveProperty(PERSONAL_DATA_EXTENSION);
    expect(JSON.stringify(schema)).not.toContain('"personal"');
  });

  it('carries the marker into the message payload of the generated document', () => {
    const document = asyncApiDocument({ version: '0', catalogue: [{ contract: Probe, owner: 'probe-service' }], identities: [] }) as {
      components: { messages: Record<string, { payload: { properties: { data: { properties: Record<string, Record<string, unknown>> } } } }> };
    };
    expect(document.components.messages['ProbeHappenedV1']?.payload.properties.data.properties['email']?.[PERSONAL_DATA_EXTENSION]).toBe(true);
  });
});
