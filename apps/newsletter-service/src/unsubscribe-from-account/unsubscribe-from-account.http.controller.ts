import { Controller, Delete, UseGuards } from '@nestjs/common';
import { type AccessTokenClaims, CurrentUser, JwtAuthGuard } from '@eventshop/platform';
import type { SubscriptionStatus } from '../subscriptions/domain/subscription.js';
import { UnsubscribeFromAccountHandler } from './unsubscribe-from-account.handler.js';

@Controller('subscriptions')
export class UnsubscribeFromAccountHttpController {
  constructor(private readonly handler: UnsubscribeFromAccountHandler) {}

  /** `200 {subscribed: false, since}`, also when the caller already was; `401` without a valid bearer token. */
  @Delete('me')
  @UseGuards(JwtAuthGuard)
  unsubscribe(@CurrentUser() caller: AccessTokenClaims): Promise<SubscriptionStatus> {
    return this.handler.execute(caller.sub);
  }
}
