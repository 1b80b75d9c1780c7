import { z } from 'zod';
import { type EventContract, EventEnvelopeSchema } from '@eventshop/contracts';
import { type BusIdentity, consumedSubject, consumerGroupName, Headers } from '@eventshop/messaging';

/*
 * The shop's event API as an AsyncAPI 3.0 document, generated — never written by hand — from:
 * - the catalogue (libs/contracts): every event, its version, subject, owner and zod schema;
 * - each app's bus declaration (`eventshop.bus.consumes` in apps/<app>/package.json, the same
 *   source the NATS permissions are generated from): who consumes what, in which consumer group.
 *
 * One channel per event (address = its subject), one `send` operation for its owner, one `receive`
 * operation per consumer group that follows it. The payload is the envelope with the contract's
 * schema as `data`, converted by zod's own `z.toJSONSchema`. A field whose schema carries
 * `.meta({ personal: true })` is marked `x-personal-data: true`.
 */

/** The zod metadata key that marks personal data in a contract: `z.email().meta({ personal: true })`. */
export const PERSONAL_DATA_META = 'personal';
/** The JSON Schema extension it becomes in the document. */
export const PERSONAL_DATA_EXTENSION = 'x-personal-data';

/** What the generator reads. */
export interface AsyncApiSources {
  readonly version: string;
  readonly catalogue: ReadonlyArray<{ readonly contract: EventContract; readonly owner: string }>;
  /** Every app's bus identity (`busIdentitiesIn('apps')`). */
  readonly identities: readonly BusIdentity[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** `UserSignedUp` v1 → `UserSignedUpV1`: the key of its channel and message. */
export const eventKey = (contract: Pick<EventContract, 'name' | 'version'>) => `${contract.name}V${contract.version}`;
/** `UserSignedUp.v1`: how a bus declaration names an event. */
const declaredName = (contract: Pick<EventContract, 'name' | 'version'>) => `${contract.name}.v${contract.version}`;

/** The operation id of an owner's publishing of an event. */
export const sendOperationId = (owner: string, contract: EventContract) => `${owner}__publish__${eventKey(contract)}`;
/** The operation id of a consumer group's receiving of an event. */
export const receiveOperationId = (service: string, handler: string, contract: EventContract) =>
  `${consumerGroupName(service, handler)}__${eventKey(contract)}`;

/** A zod schema as JSON Schema (draft-07, the base of AsyncAPI's schema format), personal fields marked. */
export function payloadSchema(schema: z.ZodType): JsonObject {
  const json = z.toJSONSchema(schema, {
    target: 'draft-07',
    override: ({ jsonSchema }) => {
      const marked = jsonSchema as Record<string, unknown>;
      if (marked[PERSONAL_DATA_META] === undefined) return;
      marked[PERSONAL_DATA_EXTENSION] = marked[PERSONAL_DATA_META] === true;
      delete marked[PERSONAL_DATA_META];
    },
  }) as JsonObject;
  delete json['$schema'];
  return json;
}

/** The envelope an event travels in, with the contract's schema as `data` (as defineEvent validates it). */
function envelopeOf(contract: EventContract): z.ZodType {
  return EventEnvelopeSchema.extend({ type: z.literal(contract.name), version: z.literal(contract.version), data: contract.schema });
}

const HEADER_DESCRIPTIONS: Readonly<Record<string, string>> = {
  [Headers.MessageId]: 'The event id: JetStream drops a second publish with it inside the duplicate window',
  [Headers.CorrelationId]: 'Ties together everything caused by one user action',
  [Headers.CausationId]: 'The event (or request) that directly caused this one',
  [Headers.EventType]: 'The event name, as in the envelope',
  [Headers.EventVersion]: 'The contract version, as in the envelope',
  [Headers.AggregateId]: 'The entity the event is about; its events keep their order',
  [Headers.Source]: 'The publishing service (the owner)',
  [Headers.ContentType]: 'application/json',
  [Headers.TraceParent]: 'W3C trace context of the producer',
  [Headers.TraceState]: 'W3C trace state',
};

/** The NATS headers the bus puts on every message (libs/messaging `Headers`). */
function messageHeaders(): JsonObject {
  const properties: JsonObject = {};
  for (const name of Object.values(Headers)) properties[name] = { type: 'string', description: HEADER_DESCRIPTIONS[name] ?? name };
  return { type: 'object', properties };
}

/** Who consumes `contract`: every (service, handler) whose declaration names it, or `*`. */
function consumersOf(contract: EventContract, identities: readonly BusIdentity[]): Array<{ service: string; handler: string }> {
  return identities.flatMap((identity) =>
    Object.entries(identity.consumes ?? {})
      .filter(([, event]) => event === '*' || event === declaredName(contract))
      .map(([handler]) => ({ service: identity.service, handler })),
  );
}

/** The AsyncAPI 3.0 document of every event of the catalogue. */
export function asyncApiDocument(sources: AsyncApiSources): JsonObject {
  const { catalogue, identities } = sources;
  // A declaration that names no event of the catalogue is an error, as it is for the NATS permissions.
  for (const identity of identities) for (const event of Object.values(identity.consumes ?? {})) consumedSubject(event);

  const channels: JsonObject = {};
  const operations: JsonObject = {};
  const messages: JsonObject = {};
  const services = new Set<string>();
  for (const { contract, owner } of catalogue) {
    const key = eventKey(contract);
    const consumers = consumersOf(contract, identities);
    services.add(owner);
    messages[key] = {
      name: contract.name,
      title: `${contract.name} v${contract.version}`,
      summary: `Published by ${owner}; consumed by ${consumers.map(({ service }) => service).join(', ') || 'no service yet'}.`,
      contentType: 'application/json',
      headers: messageHeaders(),
      payload: payloadSchema(envelopeOf(contract)),
      'x-event-version': contract.version,
      'x-owner': owner,
    };
    channels[key] = {
      address: contract.subject,
      title: `${contract.name} v${contract.version}`,
      description: `Stream EVENTS (\`events.>\`); with NATS_NAMESPACE=<ns> the subject is \`<ns>.${contract.subject}\`. Only ${owner} may publish here (NATS permissions).`,
      messages: { [key]: { $ref: `#/components/messages/${key}` } },
    };
    const message = [{ $ref: `#/channels/${key}/messages/${key}` }];
    operations[sendOperationId(owner, contract)] = {
      action: 'send',
      title: `${owner} publishes ${contract.name} v${contract.version}`,
      description: 'Written to the outbox in the transaction that changes the state; the relay publishes it (at least once, deduplicated by the event id).',
      channel: { $ref: `#/channels/${key}` },
      messages: message,
      tags: [{ name: owner }],
    };
    for (const { service, handler } of consumers) {
      services.add(service);
      operations[receiveOperationId(service, handler, contract)] = {
        action: 'receive',
        title: `${service} (${handler}) consumes ${contract.name} v${contract.version}`,
        description: `Durable consumer group \`${consumerGroupName(service, handler)}\`: replicas share its messages; retries, then a dead letter.`,
        channel: { $ref: `#/channels/${key}` },
        messages: message,
        tags: [{ name: service }],
        'x-consumer-group': consumerGroupName(service, handler),
      };
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'eventshop events',
      version: sources.version,
      description: [
        'Every integration event of the shop on NATS JetStream: one channel per event (its subject), the owning service as the only sender, each consumer group as a receiver.',
        '',
        'Generated from libs/contracts and the apps\' `eventshop.bus` declarations by `npm run asyncapi`; do not edit. Fields marked `x-personal-data: true` hold personal data.',
      ].join('\n'),
      tags: [...services].sort().map((name) => ({ name })),
    },
    defaultContentType: 'application/json',
    servers: {
      local: { host: 'localhost:4222', protocol: 'nats', description: 'NATS with JetStream, as `npm start` and docker-compose run it' },
    },
    channels,
    operations,
    components: { messages },
  };
}
