import { type ArgumentMetadata, BadRequestException, StandardSchemaValidationPipe } from '@nestjs/common';

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** `400 { message, errors: [{ field, message }] }`: the one shape of every bad-input answer. */
export function validationFailed(errors: FieldError[]): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'Validation failed', errors });
}

/**
 * The dotted paths of every string in `value` that holds a NUL character (`\u0000`). PostgreSQL's
 * text cannot store one (the insert fails: a 500) and bcrypt stops reading at it, so no request may
 * carry one anywhere, whatever its schema says.
 */
export function pathsWithNul(value: unknown, path: string[] = []): string[] {
  if (typeof value === 'string') return value.includes('\u0000') ? [path.join('.') || 'body'] : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => pathsWithNul(child, [...path, key]));
}

/** The parts of a request that come from the client as text. */
const CLIENT_INPUT = new Set<ArgumentMetadata['type']>(['body', 'query', 'param']);

/**
 * Validates `@Body({ schema })` and friends with their Standard Schema (zod) and answers a bad
 * request with `400 { message, errors: [{ field, message }] }`, one entry per bad field. Before any
 * schema, every body, query and route parameter is checked for NUL characters.
 */
class RequestValidationPipe extends StandardSchemaValidationPipe {
  override async transform<T>(value: T, metadata: ArgumentMetadata): Promise<T> {
    if (CLIENT_INPUT.has(metadata.type)) {
      const paths = pathsWithNul(value, metadata.type === 'param' && metadata.data ? [metadata.data] : []);
      if (paths.length > 0) throw validationFailed(paths.map((field) => ({ field, message: 'must not contain NUL characters' })));
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): StandardSchemaValidationPipe {
  return new RequestValidationPipe({
    exceptionFactory: (issues) =>
      validationFailed(
        issues.map((issue) => ({
          field:
            (issue.path ?? [])
              .map((segment) => (typeof segment === 'object' ? String(segment.key) : String(segment)))
              .join('.') || 'body',
          message: issue.message,
        })),
      ),
  });
}
