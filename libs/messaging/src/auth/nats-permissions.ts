import { EVENT_SUBJECT_ROOT, eventCatalogue } from '@eventshop/contracts';
import { consumerGroupName } from '../router/message-router.js';
import { deadLetterSubject } from '../middleware/dead-letter.middleware.js';
import { namespacedSubject, type Topology } from '../jetstream/topology.js';

/*
 * Who may do what on the bus: one NATS user per service, its permissions derived from the contracts.
 *
 * - publish: exactly the subjects of the events the catalogue says the service owns, so a forged
 *   `UserSignedUp` from email-service is refused by the server; a new event in the catalogue gets
 *   its subject here without anyone writing a rule;
 * - consume: the JetStream API for its own durable consumers only (create/update with its own filter
 *   subject, info, pull), acks of its own consumers, dead letters of its own consumers;
 * - replies: its own inbox prefix (`_INBOX.<service>`; the connection sets it), so no service reads
 *   another one's replies; answers to requests it received (`allow_responses`);
 * - streams: nothing. Creating, updating, deleting or purging a stream is the admin's job
 *   (`npm run nats:provision`); a service with credentials checks the streams exist instead.
 *
 * What NATS subject permissions cannot narrow (wildcards match whole tokens only):
 * - a consumer group is one token (`email-service__send-welcome-email`), so "every group of
 *   email-service" cannot be written as a pattern: groups are listed one by one instead (from the
 *   app's package.json, see `BusIdentity`), and a service whose handler is missing from it fails at
 *   start with a permissions violation, never silently;
 * - an ordered consumer (read-model-service's rebuild reads the whole history) has a generated
 *   name, so the service that reads history gets consumer create and pull on `<EVENTS>.*`. That
 *   user could also update another group's durable or pull from it (delaying those messages until
 *   their ack wait ends), though never ack them (acks stay per group), delete a consumer or touch a
 *   stream. Closing it needs a history read without consumers (direct get, `allow_direct`);
 * - the JetStream API answers with stream metadata (`$JS.API.INFO`, `STREAM.INFO`) to every
 *   service: names and counts, no message content. A service with consumer groups may also ask for
 *   the dead-letter stream's (its groups' dead-letter depth, a metric).
 *
 * The console is not a service but has a user of its own too (`watches`, `repairsDeadLetters`):
 * - watching reads both streams through ordered consumers (generated names again: create and pull
 *   on `<stream>.*`, with what that allows on the events stream, see above), reads consumer-group
 *   state (consumer info, list, names) and single messages (`STREAM.MSG.GET`) of both streams. It
 *   acks nothing, and it may delete consumers on the dead-letter stream only (which has no groups):
 *   its viewers on the events stream are left to expire (`inactive_threshold`) because a consumer
 *   delete there could not be told from deleting a service's group;
 * - repairing dead letters deletes them (`STREAM.MSG.DELETE`, `STREAM.PURGE` of the dead-letter
 *   stream, never of the events stream) and republishes them to their original subjects. A replay
 *   can be any event, so this user may publish to **every event subject**: in effect it may forge
 *   any event, the power `npm run dlq` has as admin. The console keeps it behind `ADMIN_TOKEN`
 *   (`X-Admin-Token`) at HTTP level; give `repairsDeadLetters` to nothing that is not an operator tool.
 */

/** A service's use of the bus beyond publishing its own events (which the catalogue decides). */
export interface BusIdentity {
  /** The service (= NATS user name), e.g. `email-service`. */
  readonly service: string;
  /**
   * Its consumer groups: handler name → the event it follows (`UserSignedUp.v1`), or `*` for
   * every event of the catalogue in one ordered stream (a projection).
   */
  readonly consumes?: Readonly<Record<string, string>>;
  /** Request-reply subjects it answers, before the namespace (`readmodel.>`). */
  readonly answers?: readonly string[];
  /** Reads the events stream from any position through ordered consumers (rebuilding a projection). */
  readonly readsHistory?: boolean;
  /**
   * Watches the bus without taking part (the console): ordered consumers on the events and
   * dead-letter streams, consumer info/list/names and stream info of both, single-message get on
   * both. No acks, no stream changes.
   */
  readonly watches?: boolean;
  /**
   * Repairs dead letters (the console's replay/discard): deletes and purges on the dead-letter
   * stream, and publishes to every event subject, because a replay republishes a dead letter to its
   * original subject. That is the power to publish **any** event, as the admin's `npm run dlq` can:
   * only for an operator tool that guards it (the console asks for `ADMIN_TOKEN`).
   */
  readonly repairsDeadLetters?: boolean;
}

export interface NatsPermissions {
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
  /** Whether it may reply to requests it received (once, to the request's reply subject). */
  readonly allowResponses: boolean;
}

/** The NATS user every administrative task (provisioning streams, dead-letter repair) runs as. */
export const NATS_ADMIN_USER = 'admin';

/** The inbox prefix of a service's connections: replies to its requests arrive under it, and only it may read them. */
export function inboxPrefixFor(service: string): string {
  return `_INBOX.${service}`;
}

/** The subjects of the events `service` owns, per the catalogue, in `topology`'s namespace. */
export function ownedEventSubjects(service: string, topology: Topology): string[] {
  return eventCatalogue.filter((entry) => entry.owner === service).map((entry) => namespacedSubject(topology, entry.contract.subject));
}

/** The contract subject a `consumes` value stands for: one event's, or every event's. */
export function consumedSubject(event: string): string {
  if (event === '*') return `${EVENT_SUBJECT_ROOT}.>`;
  const entry = eventCatalogue.find(({ contract }) => `${contract.name}.v${contract.version}` === event);
  if (!entry) {
    const known = eventCatalogue.map(({ contract }) => `${contract.name}.v${contract.version}`).join(', ');
    throw new Error(`"${event}" is not an event of the catalogue (${known}, or * for all)`);
  }
  return entry.contract.subject;
}

/** The permissions of one service's NATS user. */
export function permissionsFor(identity: BusIdentity, topology: Topology): NatsPermissions {
  const stream = topology.eventsStream;
  const api = '$JS.API';
  const publish = [...ownedEventSubjects(identity.service, topology), `${api}.INFO`, `${api}.STREAM.INFO.${stream}`];
  for (const [handler, event] of Object.entries(identity.consumes ?? {})) {
    const group = consumerGroupName(identity.service, handler);
    const filter = namespacedSubject(topology, consumedSubject(event));
    publish.push(
      // Create and update carry the filter subject in the API subject: the group can follow only its event.
      `${api}.CONSUMER.CREATE.${stream}.${group}.${filter}`,
      `${api}.CONSUMER.INFO.${stream}.${group}`,
      `${api}.CONSUMER.MSG.NEXT.${stream}.${group}`,
      `$JS.ACK.${stream}.${group}.>`,
      deadLetterSubject(topology.deadLetterSubjectRoot, group),
    );
  }
  if (Object.keys(identity.consumes ?? {}).length > 0) {
    // Its groups' dead-letter depth for /metrics: counts per subject, no message content (see the note at the top).
    publish.push(`${api}.STREAM.INFO.${topology.deadLetterStream}`);
  }
  if (identity.readsHistory) {
    // Ordered consumers have generated names (one token): see the note at the top.
    publish.push(`${api}.CONSUMER.CREATE.${stream}.*`, `${api}.CONSUMER.MSG.NEXT.${stream}.*`);
  }
  const deadLetters = topology.deadLetterStream;
  if (identity.watches) {
    for (const watched of [stream, deadLetters]) {
      publish.push(
        // An ordered consumer, without a filter subject or with one (the dead-letter scan filters by group).
        `${api}.CONSUMER.CREATE.${watched}.*`,
        `${api}.CONSUMER.CREATE.${watched}.*.>`,
        `${api}.CONSUMER.MSG.NEXT.${watched}.*`,
        `${api}.CONSUMER.INFO.${watched}.*`,
        `${api}.CONSUMER.LIST.${watched}`,
        `${api}.CONSUMER.NAMES.${watched}`,
        `${api}.STREAM.MSG.GET.${watched}`,
      );
    }
    // The dead-letter stream holds no consumer groups, so deleting its (ordered) consumers harms nobody.
    publish.push(`${api}.STREAM.INFO.${deadLetters}`, `${api}.CONSUMER.DELETE.${deadLetters}.*`);
  }
  if (identity.repairsDeadLetters) {
    // A replay goes to the dead letter's original subject, which may be any event's: see the note at the top.
    publish.push(`${topology.eventsSubjectRoot}.>`, `${api}.STREAM.MSG.DELETE.${deadLetters}`, `${api}.STREAM.PURGE.${deadLetters}`);
  }
  const namespace = topology.eventsSubjectRoot.slice(0, -EVENT_SUBJECT_ROOT.length);
  const subscribe = [`${inboxPrefixFor(identity.service)}.>`, ...(identity.answers ?? []).map((subject) => `${namespace}${subject}`)];
  return { publish: [...new Set(publish)], subscribe, allowResponses: (identity.answers ?? []).length > 0 };
}

/** The environment variable the NATS server reads a user's password from. */
export function passwordVariableFor(user: string): string {
  return `NATS_PASSWORD_${user.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * The nats-server `authorization` block: the admin (everything) and one user per service with its
 * permissions. Passwords are not in it: each is the environment variable `passwordVariableFor(user)`
 * of the server process, so the file can be committed and generated.
 */
export function natsAuthorizationConfig(identities: readonly BusIdentity[], topology: Topology): string {
  const list = (subjects: readonly string[]) => `[\n${subjects.map((s) => `          ${JSON.stringify(s)}\n`).join('')}        ]`;
  const users = [
    `    # Provisions streams (npm run nats:provision) and repairs dead letters (npm run dlq); no service runs as it.\n` +
      `    { user: ${NATS_ADMIN_USER}, password: $${passwordVariableFor(NATS_ADMIN_USER)} }`,
    ...[...identities]
      .sort((a, b) => a.service.localeCompare(b.service))
      .map((identity) => {
        const permissions = permissionsFor(identity, topology);
        return [
          `    {`,
          `      user: ${JSON.stringify(identity.service)}, password: $${passwordVariableFor(identity.service)}`,
          `      permissions: {`,
          `        publish: { allow: ${list(permissions.publish)} }`,
          `        subscribe: { allow: ${list(permissions.subscribe)} }`,
          ...(permissions.allowResponses ? [`        allow_responses: true`] : []),
          `      }`,
          `    }`,
        ].join('\n');
      }),
  ];
  return [
    `# Generated from libs/contracts (who owns which event) and apps/*/package.json ("eventshop.bus").`,
    `# Do not edit: run \`npm run nats:config\`; tools/deploy-check fails when this file is out of date.`,
    `authorization {`,
    `  users: [`,
    users.join('\n'),
    `  ]`,
    `}`,
    ``,
  ].join('\n');
}
