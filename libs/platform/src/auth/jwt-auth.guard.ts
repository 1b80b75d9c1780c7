import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request } from 'express';
import { type AccessTokenClaims, JwtVerifier } from './jwt-verifier.js';

type AuthenticatedRequest = Request & { user?: AccessTokenClaims };

/** Lets a request through only with a valid `Authorization: Bearer <token>`; 401 otherwise. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly verifier: JwtVerifier) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = /^Bearer\s+(\S+)$/i.exec(request.header('authorization') ?? '')?.[1];
    const claims = token ? this.verifier.verify(token) : null;
    if (!claims) {
      throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: 'A valid bearer token is required' });
    }
    request.user = claims;
    return true;
  }
}

/** The verified claims of the caller, in a handler guarded by `JwtAuthGuard`. */
export const CurrentUser = createParamDecorator(
  (_: unknown, context: ExecutionContext): AccessTokenClaims => {
    const user = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
    // Only reachable when the route forgot its guard: a server bug, not the caller's.
    if (!user) throw new Error('@CurrentUser() used on a route without JwtAuthGuard');
    return user;
  },
);
