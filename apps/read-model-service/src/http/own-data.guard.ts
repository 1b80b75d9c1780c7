import { applyDecorators, type CanActivate, type ExecutionContext, ForbiddenException, Injectable, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { type AccessTokenClaims, JwtAuthGuard } from '@eventshop/platform';

/**
 * The read model's one access rule, for REST and request-reply alike: a caller may read the data
 * of the user their verified token names, and nobody else's.
 */
export function mayReadUser(caller: AccessTokenClaims | null | undefined, userId: unknown): boolean {
  return !!caller && caller.sub === userId;
}

/** The answer when the rule says no: the same body on both APIs. */
export function forbiddenToReadUser(): ForbiddenException {
  return new ForbiddenException({ statusCode: 403, error: 'Forbidden', message: 'You may only read your own data' });
}

/**
 * Lets a request through only when the caller's token subject is the `:id` of the route: the read
 * model holds personal data (email, orders, activity), and a user may read their own only.
 * Runs after JwtAuthGuard, which has verified the token and put its claims on the request.
 */
@Injectable()
export class CallerIsUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request & { user?: AccessTokenClaims }>();
    if (!mayReadUser(request.user, request.params['id'])) throw forbiddenToReadUser();
    return true;
  }
}

/** `401` without a valid bearer token, `403` with someone else's: the route's `:id` must be the caller. */
export const OwnDataOnly = () => applyDecorators(UseGuards(JwtAuthGuard, CallerIsUserGuard));
