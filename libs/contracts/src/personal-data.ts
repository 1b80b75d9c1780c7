import type { z } from 'zod';

/**
 * The marker for a field that holds personal data (GDPR): `z.email().meta(PERSONAL)`. The AsyncAPI
 * generator turns it into `x-personal-data: true`; `personalFieldsOf` lists the marked fields, and
 * a unit test keeps every new contract honest about them.
 *
 * Personal data does not belong in the events stream, which is kept forever: a contract whose
 * fields carry this marker is a legacy version (see UserSignedUp v1) that current publishers no
 * longer emit. See the README section "Personal data and the right to be forgotten".
 */
export const PERSONAL = { personal: true } as const;

/** Whether a zod schema carries the personal-data marker. */
export function isPersonal(schema: z.ZodType): boolean {
  return (schema.meta() as { personal?: unknown } | undefined)?.personal === true;
}

/** The names of the top-level fields of an object schema that are marked personal. */
export function personalFieldsOf(schema: z.ZodType): string[] {
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
  return Object.entries(shape)
    .filter(([, field]) => isPersonal(field))
    .map(([name]) => name);
}
