import { z } from 'zod';
import { type ApiRoute, errorResponse, platformErrors, type ServiceApi } from '@eventshop/platform';
import { manifest } from './config.js';
import { EmailAlreadyTakenError, InvalidCredentialsError, type UserView } from './users/domain/user.js';
import type { AccessToken } from './login/access-token.issuer.js';
import { RegisterUserRequest } from './register-user/register-user.request.dto.js';
import { LoginRequest } from './login/login.request.dto.js';
import { RequestAccountDeletionRequest } from './request-account-deletion/request-account-deletion.request.dto.js';
import type { AccountDeletionView } from './account-deletion/domain/deletion-view.js';

/** The answer of sign-up and `GET /users/me`; `satisfies` keeps it in step with the handler's type. */
const UserViewBody = z.object({
  id: z.uuid(),
  email: z.email(),
  name: z.string(),
  createdAt: z.iso.datetime(),
}) satisfies z.ZodType<UserView>;

const AccessTokenBody = z.object({
  accessToken: z.string().meta({ description: 'An RS256 JWT: send it as `Authorization: Bearer <accessToken>`' }),
  tokenType: z.literal('Bearer'),
  expiresIn: z.int().meta({ description: 'Seconds until it expires' }),
}) satisfies z.ZodType<AccessToken>;

const ParticipantAnswer = z.object({
  answeredAt: z.iso.datetime().nullable().meta({ description: 'When the participant answered; null while it is silent' }),
});

/** The deletion's progress: the 202 of `DELETE /users/me` and `GET /users/me/deletion`. */
const AccountDeletionBody = z.object({
  userId: z.uuid(),
  status: z.enum(['in-progress', 'stuck', 'completed']),
  requestedAt: z.iso.datetime(),
  attempts: z.int().meta({ description: 'How many times the silent participants were asked' }),
  participants: z.object({ newsletter: ParticipantAnswer, email: ParticipantAnswer, order: ParticipantAnswer, 'read-model': ParticipantAnswer }),
  stuckAt: z.iso.datetime().nullable(),
  completedAt: z.iso.datetime().nullable(),
}) satisfies z.ZodType<AccountDeletionView>;

const deletionExample: AccountDeletionView = {
  userId: '5f0c6a52-8c0e-4a53-9a43-3f3c1e7b9a10',
  status: 'in-progress',
  requestedAt: '2026-02-01T10:00:00.000Z',
  attempts: 1,
  participants: {
    newsletter: { answeredAt: '2026-02-01T10:00:00.120Z' },
    email: { answeredAt: null },
    order: { answeredAt: '2026-02-01T10:00:00.090Z' },
    'read-model': { answeredAt: null },
  },
  stuckAt: null,
  completedAt: null,
};

const userExample: UserView = {
  id: '5f0c6a52-8c0e-4a53-9a43-3f3c1e7b9a10',
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  createdAt: '2026-01-15T09:30:00.000Z',
};

const routes: ApiRoute[] = [
  {
    method: 'post',
    path: '/users',
    summary: 'Sign up',
    description:
      'Creates an account and publishes `UserSignedUp` (welcome email, newsletter opt-in, order-service customer). Unknown fields are ignored; every bad field is reported at once. The email is stored trimmed and lower-cased. Rate limited per client and per email.',
    tag: 'users',
    auth: 'public',
    body: {
      schema: RegisterUserRequest,
      example: { email: 'ada@example.com', password: 'correct horse battery', name: 'Ada Lovelace', newsletter: true },
    },
    success: { status: 201, description: 'The new account', schema: UserViewBody, example: userExample },
    errors: {
      409: errorResponse(409, 'The email is taken', new EmailAlreadyTakenError().message),
      429: platformErrors.tooManyRequests,
    },
  },
  {
    method: 'post',
    path: '/auth/login',
    summary: 'Log in: get an access token',
    description: 'Every wrong email or password gets the same `401`. Rate limited per client and per account.',
    tag: 'auth',
    auth: 'public',
    body: { schema: LoginRequest, example: { email: 'ada@example.com', password: 'correct horse battery' } },
    success: {
      status: 200,
      description: 'An access token',
      schema: AccessTokenBody,
      example: { accessToken: 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.…', tokenType: 'Bearer', expiresIn: 3600 },
    },
    errors: {
      401: errorResponse(401, 'Wrong email or password (one answer for both)', new InvalidCredentialsError().message),
      429: platformErrors.tooManyRequests,
    },
  },
  {
    method: 'get',
    path: '/users/me',
    summary: "The caller's profile",
    tag: 'users',
    auth: 'bearer',
    success: { status: 200, description: "The caller's account", schema: UserViewBody, example: userExample },
    errors: { 404: errorResponse(404, 'The account behind the token no longer exists', 'User no longer exists') },
  },
  {
    method: 'delete',
    path: '/users/me',
    summary: 'Delete my account (right to be forgotten)',
    description:
      'Re-confirmed with the password. Deactivates the account at once (login fails) and starts the account-deletion process: every service forgets the user, then the account is erased and `AccountDeleted` published. `Location` points at its progress. A repeated request while it runs answers `202` again; once the account is erased, `404`.',
    tag: 'users',
    auth: 'bearer',
    body: { schema: RequestAccountDeletionRequest, example: { password: 'correct horse battery' } },
    success: { status: 202, description: 'The deletion runs; its progress', schema: AccountDeletionBody, example: deletionExample },
    errors: {
      401: errorResponse(401, 'No valid token, or the wrong password', 'Wrong password'),
      404: errorResponse(404, 'The account is already erased', 'This account no longer exists'),
    },
  },
  {
    method: 'get',
    path: '/users/me/deletion',
    summary: "The progress of the caller's account deletion",
    description: 'Per participant, when it answered; `completed` at the end (the token outlives the account, so the user can watch it finish).',
    tag: 'users',
    auth: 'bearer',
    success: { status: 200, description: 'The deletion and its progress', schema: AccountDeletionBody, example: deletionExample },
    errors: { 404: errorResponse(404, 'No deletion of this account was requested', 'No deletion of this account was requested') },
  },
];

/** user-service's HTTP API, for its OpenAPI document (`/docs`). */
export const userServiceApi: ServiceApi = {
  service: manifest.name,
  version: manifest.version,
  description: 'Accounts and sign-in: sign-up publishes `UserSignedUp`; login issues the RS256 JWTs every other service verifies.',
  routes,
};
