import { z } from 'zod';

/** `POST /auth/login` body. Shape only: whether the credentials are right is the handler's job. */
export const LoginRequest = z.object({
  email: z.string({ error: 'is required and must be a string' }).trim().min(1, 'is required').max(254),
  password: z.string({ error: 'is required and must be a string' }).min(1, 'is required').max(1024),
});

export type LoginRequest = z.output<typeof LoginRequest>;
