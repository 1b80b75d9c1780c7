import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { ADMIN_TOKEN_HEADER, AdminCredentials } from './admin-credentials.js';

/**
 * Guards operator endpoints with the shared ADMIN_TOKEN, sent as `X-Admin-Token`: `403` when the
 * service has no ADMIN_TOKEN (the endpoints are off), `401` for a missing or wrong token.
 * A separate secret on purpose: a user's JWT, however valid, never makes anyone an operator.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(private readonly credentials: AdminCredentials) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.credentials.enabled) {
      throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', message: 'Admin endpoints are disabled: ADMIN_TOKEN is not set' });
    }
    const request = context.switchToHttp().getRequest<Request>();
    if (!this.credentials.accepts(request.header(ADMIN_TOKEN_HEADER))) {
      throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: `A valid ${ADMIN_TOKEN_HEADER} header is required` });
    }
    return true;
  }
}
