import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { NatsContext } from '@nestjs/microservices';
import { JwtVerifier } from '@eventshop/platform';
import { forbiddenToReadUser, mayReadUser } from '../http/own-data.guard.js';
import { AUTHORIZATION_HEADER, UserQueryRequest } from './read-model.rpc-api.js';

/**
 * The request-reply twin of REST's `OwnDataOnly`: a query must carry the caller's access token in
 * its `Authorization: Bearer <token>` header, verified with the same JwtVerifier, and may ask for the
 * caller's own data only. Otherwise the reply is a 401 or 403 error, never data. This holds whoever
 * can reach the subject — on an open development NATS as much as behind NATS permissions.
 */
@Injectable()
export class CallerIsUserRpcGuard implements CanActivate {
  constructor(private readonly verifier: JwtVerifier) {}

  canActivate(context: ExecutionContext): boolean {
    const rpc = context.switchToRpc();
    const header = rpc.getContext<NatsContext>().getHeaders()?.get(AUTHORIZATION_HEADER) ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const caller = token ? this.verifier.verify(token) : null;
    if (!caller) throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: 'A valid bearer token is required' });
    // A malformed request names no user: let it through to validation, which answers 400.
    const request = UserQueryRequest.safeParse(rpc.getData());
    if (request.success && !mayReadUser(caller, request.data.userId)) throw forbiddenToReadUser();
    return true;
  }
}
