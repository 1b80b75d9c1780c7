import { applyDecorators, type CanActivate, type ExecutionContext, ForbiddenException, Injectable, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { type AccessTokenClaims, JwtAuthGuard } from '@eventshop/platform';

/**
 * Lets a request through only when the caller's token subject is the `:id` of the route: the read
 * model holds personal data (email, orders, activity), and a user may read their own only.
 * Runs after JwtAuthGuard, which has verified the token and put its claims on the request.
 */
@Injectable()
export class CallerIsUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request & { user?: AccessTokenClaims }>();
    if (!request.user || request.user.sub !== request.params['id']) {
      throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', message: 'You may only read your own data' });
    }
    return true;
  }
}

/** `401` without a valid bearer token, `403` with someone else's: the route's `:id` must be the caller. */
export const OwnDataOnly = () => applyDecorators(UseGuards(JwtAuthGuard, CallerIsUserGuard));
