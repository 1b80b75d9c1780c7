import { z } from 'zod';
import { PASSWORD_MAX_BYTES, passwordWithinBcryptLimit } from '../users/domain/user.js';

/** `POST /auth/login` body. Shape only: whether the credentials are right is the handler's job. */
export const LoginRequest = z.object({
  email: z.string({ error: 'is required and must be a string' }).trim().min(1, 'is required').max(254),
  // bcrypt reads 72 bytes and ignores the rest: a longer password could never be the one set at
  // sign-up (which refuses it too), and letting it through would make every suffix log in.
  password: z
    .string({ error: 'is required and must be a string' })
    .min(1, 'is required')
    .refine(passwordWithinBcryptLimit, `must be at most ${PASSWORD_MAX_BYTES} bytes long`),
});

export type LoginRequest = z.output<typeof LoginRequest>;
