import { z } from 'zod';
import { type ApiRoute, errorResponse, platformErrors, type ServiceApi } from '@eventshop/platform';
import { manifest } from './config.js';
import { EmailAlreadyTakenError, InvalidCredentialsError, type UserView } from './users/domain/user.js';
import type { AccessToken } from './login/access-token.issuer.js';
import { RegisterUserRequest } from './register-user/register-user.request.dto.js';
import { LoginRequest } from './login/login.request.dto.js';

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
];

/** user-service's HTTP API, for its OpenAPI document (`/docs`). */
export const userServiceApi: ServiceApi = {
  service: manifest.name,
  version: manifest.version,
  description: 'Accounts and sign-in: sign-up publishes `UserSignedUp`; login issues the RS256 JWTs every other service verifies.',
  routes,
};
