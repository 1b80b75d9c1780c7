import { Controller, ForbiddenException, HttpCode, Post, UseGuards } from '@nestjs/common';
import { type AccessTokenClaims, CurrentUser, JwtAuthGuard } from '@eventshop/platform';
import type { SubscriptionStatus } from '../subscriptions/domain/subscription.js';
import { ResubscribeHandler, SubscriberForgottenError } from './resubscribe.handler.js';

@Controller('subscriptions')
export class ResubscribeHttpController {
  constructor(private readonly handler: ResubscribeHandler) {}

  /**
   * `200 {subscribed: true, since}`, also when the caller already was; `401` without a valid bearer
   * token; `403` once the caller's account was deleted.
   */
  @Post('me')
  @HttpCode(200)
  @UseGuards(JwtAuthGuard)
  async resubscribe(@CurrentUser() caller: AccessTokenClaims): Promise<SubscriptionStatus> {
    try {
      return await this.handler.execute(caller.sub);
    } catch (error) {
      if (error instanceof SubscriberForgottenError) throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', message: error.message });
      throw error;
    }
  }
}
