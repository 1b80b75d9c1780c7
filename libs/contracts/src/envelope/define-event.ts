import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type EventEnvelope, EventEnvelopeSchema, type EventMetadata } from './event-envelope.js';

/** All integration events live under this subject root; one stream captures `events.>`. */
export const EVENT_SUBJECT_ROOT = 'events';

/**
 * A versioned integration event contract: name, version, owning context and the runtime schema
 * of its payload. The TypeScript type of the payload is inferred from the same schema.
 */
export interface EventContract<TName extends string = string, TSchema extends z.ZodType = z.ZodType> {
  readonly name: TName;
  readonly version: number;
  /** The bounded context (service) that owns and alone publishes this event. */
  readonly context: string;
  /** `events.<context>.<kebab-name>.v<version>`, e.g. `events.user.user-signed-up.v1`. */
  readonly subject: string;
  readonly schema: TSchema;
  /** Builds a fresh envelope; the payload is validated so a publisher cannot emit a bad event. */
  create(
    data: z.input<TSchema>,
    meta: EventMetadata & { source: string; aggregateId: string },
  ): EventEnvelope<z.output<TSchema>>;
  /** Validates an envelope received from the bus against this contract. */
  parse(envelope: unknown): EventEnvelope<z.output<TSchema>>;
  safeParse(envelope: unknown): ContractParseResult<z.output<TSchema>>;
}

export type ContractParseResult<T> =
  | { success: true; envelope: EventEnvelope<T> }
  | { success: false; issues: string[] };

/** The payload type of a contract: `EventData<typeof UserSignedUpV1>`. */
export type EventData<C extends EventContract> = z.output<C['schema']>;
/** The envelope type of a contract: `EventOf<typeof UserSignedUpV1>`. */
export type EventOf<C extends EventContract> = EventEnvelope<EventData<C>>;

export function subjectFor(context: string, name: string, version: number): string {
  return `${EVENT_SUBJECT_ROOT}.${context}.${kebabCase(name)}.v${version}`;
}

function kebabCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Formats zod issues as `path: message` lines, the shape dead-letter reasons and 400s use. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

export function defineEvent<TName extends string, TSchema extends z.ZodType>(definition: {
  name: TName;
  version: number;
  context: string;
  schema: TSchema;
}): EventContract<TName, TSchema> {
  const { name, version, context, schema } = definition;
  const envelopeSchema = EventEnvelopeSchema.extend({
    type: z.literal(name),
    version: z.literal(version),
    data: schema,
  });

  const safeParse = (envelope: unknown): ContractParseResult<z.output<TSchema>> => {
    const result = envelopeSchema.safeParse(envelope);
    return result.success
      ? { success: true, envelope: result.data as EventEnvelope<z.output<TSchema>> }
      : { success: false, issues: formatIssues(result.error) };
  };

  return {
    name,
    version,
    context,
    subject: subjectFor(context, name, version),
    schema,
    create(data, meta) {
      return {
        id: randomUUID(),
        type: name,
        version,
        occurredAt: new Date().toISOString(),
        correlationId: meta.correlationId,
        causationId: meta.causationId ?? null,
        source: meta.source,
        aggregateId: meta.aggregateId,
        data: schema.parse(data),
      };
    },
    parse(envelope) {
      const result = safeParse(envelope);
      if (!result.success) throw new ContractViolationError(name, version, result.issues);
      return result.envelope;
    },
    safeParse,
  };
}

/** A message that does not satisfy its contract. Permanent: retrying cannot fix it. */
export class ContractViolationError extends Error {
  readonly permanent = true;
  constructor(
    readonly eventName: string,
    readonly eventVersion: number,
    readonly issues: string[],
  ) {
    super(`${eventName} v${eventVersion} violates its contract: ${issues.join('; ')}`);
    this.name = 'ContractViolationError';
  }
}
