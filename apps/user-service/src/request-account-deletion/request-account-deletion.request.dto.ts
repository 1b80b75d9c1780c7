import { z } from 'zod';
import { PASSWORD_MAX_BYTES, passwordWithinBcryptLimit } from '../users/domain/user.js';

/** `DELETE /users/me` body: the password again, so a stolen token alone cannot delete an account. */
export const RequestAccountDeletionRequest = z.object({
  password: z
    .string({ error: 'is required and must be a string' })
    .min(1, 'is required')
    .refine(passwordWithinBcryptLimit, `must be at most ${PASSWORD_MAX_BYTES} bytes long`),
});

export type RequestAccountDeletionRequest = z.output<typeof RequestAccountDeletionRequest>;
