import { Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { type AccessTokenClaims, CurrentUser, JwtAuthGuard } from '@eventshop/platform';
import type { SubscriptionStatus } from '../subscriptions/domain/subscription.js';
import { ResubscribeHandler } from './resubscribe.handler.js';

@Controller('subscriptions')
export class ResubscribeHttpController {
  constructor(private readonly handler: ResubscribeHandler) {}

  /** `200 {subscribed: true, since}`, also when the caller already was; `401` without a valid bearer token. */
  @Post('me')
  @HttpCode(200)
  @UseGuards(JwtAuthGuard)
  resubscribe(@CurrentUser() caller: AccessTokenClaims): Promise<SubscriptionStatus> {
    return this.handler.execute(caller.sub);
  }
}
