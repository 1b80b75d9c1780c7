import { BadRequestException, StandardSchemaValidationPipe } from '@nestjs/common';

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * Validates `@Body({ schema })` and friends with their Standard Schema (zod) and answers a bad
 * request with `400 { message, errors: [{ field, message }] }`, one entry per bad field.
 */
export function createValidationPipe(): StandardSchemaValidationPipe {
  return new StandardSchemaValidationPipe({
    exceptionFactory: (issues) => {
      const errors: FieldError[] = issues.map((issue) => ({
        field:
          (issue.path ?? [])
            .map((segment) => (typeof segment === 'object' ? String(segment.key) : String(segment)))
            .join('.') || 'body',
        message: issue.message,
      }));
      return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'Validation failed', errors });
    },
  });
}
