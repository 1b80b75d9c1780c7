import { z } from 'zod';
import { NAME_MAX_CHARACTERS, PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES, passwordLengthOk } from '../users/domain/user.js';

/** `POST /users` body. Unknown fields are ignored; every bad field is reported at once. */
export const RegisterUserRequest = z.object({
  email: z
    .string({ error: 'is required and must be a string' })
    .trim()
    .toLowerCase()
    .max(254, 'must be at most 254 characters')
    .pipe(z.email({ error: 'must be a valid email address' })),
  password: z
    .string({ error: 'is required and must be a string' })
    .refine(passwordLengthOk, `must be ${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes long`),
  name: z
    .string({ error: 'is required and must be a string' })
    .trim()
    .refine((name) => [...name].length >= 1 && [...name].length <= NAME_MAX_CHARACTERS, {
      error: `must be 1 to ${NAME_MAX_CHARACTERS} characters long`,
    }),
  newsletter: z.boolean({ error: 'must be true or false' }).optional().default(false),
});

export type RegisterUserRequest = z.output<typeof RegisterUserRequest>;
