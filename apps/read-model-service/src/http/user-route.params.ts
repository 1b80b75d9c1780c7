import { z } from 'zod';

/** The route parameters of `/users/:id/...`. */
export const UserRouteParams = z.object({ id: z.uuid({ error: 'must be a UUID' }) });

export type UserRouteParams = z.output<typeof UserRouteParams>;
