import { Controller, Get, UseGuards } from '@nestjs/common';
import { type AccessTokenClaims, CurrentUser, JwtAuthGuard } from '@eventshop/platform';
import { type SubscriptionStatus, toSubscriptionStatus } from '../subscriptions/domain/subscription.js';
import { SubscriptionRepository } from '../subscriptions/infrastructure/subscription.repository.js';

/** Only ever the caller's own subscription: who is subscribed is personal data, so nothing lists them. */
@Controller('subscriptions')
export class GetMySubscriptionHttpController {
  constructor(private readonly subscriptions: SubscriptionRepository) {}

  /**
   * `200 {subscribed: true, since}` or `{subscribed: false, since}` (`since` null: never subscribed,
   * which is also the answer while the caller's sign-up has not reached this service yet); `401`
   * without a valid bearer token.
   */
  @Get('me')
  @UseGuards(JwtAuthGuard)
  async mine(@CurrentUser() caller: AccessTokenClaims): Promise<SubscriptionStatus> {
    return toSubscriptionStatus(await this.subscriptions.find(caller.sub));
  }
}
