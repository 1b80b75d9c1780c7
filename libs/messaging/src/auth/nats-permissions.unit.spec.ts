import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { topologyFor } from '../jetstream/topology.js';
import { busIdentitiesIn } from './nats-config-files.js';
import { permissionsFor } from './nats-permissions.js';

// What the console's NATS user may do, from apps/console/package.json ("watches", "repairsDeadLetters").
// The real server proves the same in nats-permissions.int.spec.ts; this pins the exact subjects.
const consoleIdentity = busIdentitiesIn(fileURLToPath(new URL('../../../../apps', import.meta.url))).find((identity) => identity.service === 'console');
const { publish, subscribe, allowResponses } = permissionsFor(consoleIdentity ?? { service: 'missing' }, topologyFor(''));

describe("the console's NATS permissions", () => {
  it('watches and repairs dead letters (apps/console/package.json)', () => {
    expect(consoleIdentity).toEqual({ service: 'console', watches: true, repairsDeadLetters: true });
  });

  it('reads both streams through ordered consumers, and consumer-group state, without acking anything', () => {
    for (const stream of ['EVENTS', 'DEAD_LETTERS']) {
      expect(publish).toEqual(
        expect.arrayContaining([
          `$JS.API.CONSUMER.CREATE.${stream}.*`,
          `$JS.API.CONSUMER.CREATE.${stream}.*.>`,
          `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
          `$JS.API.CONSUMER.INFO.${stream}.*`,
          `$JS.API.CONSUMER.LIST.${stream}`,
          `$JS.API.CONSUMER.NAMES.${stream}`,
          `$JS.API.STREAM.INFO.${stream}`,
          `$JS.API.STREAM.MSG.GET.${stream}`,
        ]),
      );
    }
    expect(publish.filter((subject) => subject.startsWith('$JS.ACK'))).toEqual([]);
    expect(subscribe).toEqual(['_INBOX.console.>']);
    expect(allowResponses).toBe(false);
  });

  it('deletes dead letters and their scan consumers, republishes to the event subjects, and touches no stream otherwise', () => {
    expect(publish).toEqual(
      expect.arrayContaining(['events.>', '$JS.API.STREAM.MSG.DELETE.DEAD_LETTERS', '$JS.API.STREAM.PURGE.DEAD_LETTERS', '$JS.API.CONSUMER.DELETE.DEAD_LETTERS.*']),
    );
    // Deleting a consumer of the events stream would be deleting a service's group: never.
    expect(publish.filter((subject) => /\.(DELETE|PURGE|CREATE|UPDATE)\.EVENTS\b/.test(subject) && !subject.startsWith('$JS.API.CONSUMER.CREATE.'))).toEqual([]);
    expect(publish.filter((subject) => /^\$JS\.API\.STREAM\.(CREATE|UPDATE|DELETE)\b/.test(subject))).toEqual([]);
  });

  it('lists each subject once', () => {
    expect(new Set(publish).size).toBe(publish.length);
  });
});

describe('the account deletion and personal data on the bus (apps/*/package.json)', () => {
  const identities = busIdentitiesIn(fileURLToPath(new URL('../../../../apps', import.meta.url)));
  const of = (service: string) => permissionsFor(identities.find((identity) => identity.service === service) ?? { service }, topologyFor('ns'));

  it('lets user-service answer the personal-data query and park its stuck deletions under its own group', () => {
    const user = of('user-service');
    expect(user.subscribe).toContain('ns.user.personal-data.>');
    expect(user.allowResponses).toBe(true);
    expect(user.publish).toEqual(expect.arrayContaining(['ns.dlq.user-service__account-deletion', 'ns.events.user.account-deletion-requested.v1', 'ns.events.user.account-deleted.v1']));
  });

  it('lets exactly email-service and read-model-service ask it', () => {
    const askers = identities.filter(({ service }) => of(service).publish.includes('ns.user.personal-data.get')).map(({ service }) => service);
    expect(askers).toEqual(['email-service', 'read-model-service']);
  });
});
