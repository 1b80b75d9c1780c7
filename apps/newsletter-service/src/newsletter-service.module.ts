import { type DynamicModule, Module } from '@nestjs/common';
import { ApiDocsModule, CreateForgottenUsers1764800000200, type ServiceLogger, LinkSigner, ServicePlatformModule } from '@eventshop/platform';
import { newsletterServiceApi } from './newsletter-service.api.js';
import { manifest, type NewsletterServiceConfig } from './config.js';
import { SubscriptionRecord } from './subscriptions/infrastructure/subscription.record.js';
import { SubscriptionRepository } from './subscriptions/infrastructure/subscription.repository.js';
import { SubscriptionCommands } from './subscriptions/infrastructure/subscription-commands.js';
import { CreateSubscriptions1732300000400 } from './subscriptions/infrastructure/migrations/1732300000400-create-subscriptions.js';
import { SubscribeOptedInUsersHandler } from './subscribe-opted-in-users/subscribe-opted-in-users.handler.js';
import { SubscribeOptedInUsersEventController } from './subscribe-opted-in-users/subscribe-opted-in-users.event.controller.js';
import { UnsubscribeViaLinkHandler } from './unsubscribe-via-link/unsubscribe-via-link.handler.js';
import { UnsubscribeViaLinkHttpController } from './unsubscribe-via-link/unsubscribe-via-link.http.controller.js';
import { GetMySubscriptionHttpController } from './get-my-subscription/get-my-subscription.http.controller.js';
import { ResubscribeHandler } from './resubscribe/resubscribe.handler.js';
import { ResubscribeHttpController } from './resubscribe/resubscribe.http.controller.js';
import { UnsubscribeFromAccountHandler } from './unsubscribe-from-account/unsubscribe-from-account.handler.js';
import { UnsubscribeFromAccountHttpController } from './unsubscribe-from-account/unsubscribe-from-account.http.controller.js';
import { ForgetSubscriberHandler } from './forget-subscriber/forget-subscriber.handler.js';
import { ForgetSubscriberEventController } from './forget-subscriber/forget-subscriber.event.controller.js';

/** The composition root of newsletter-service. */
@Module({})
export class NewsletterServiceModule {
  static register(config: NewsletterServiceConfig, logger: ServiceLogger): DynamicModule {
    return {
      module: NewsletterServiceModule,
      imports: [
        ServicePlatformModule.forRoot({
          serviceName: manifest.name,
          config,
          logger,
          entities: [SubscriptionRecord],
          migrations: [CreateSubscriptions1732300000400, CreateForgottenUsers1764800000200],
        }),
        ApiDocsModule.forRoot(newsletterServiceApi),
      ],
      controllers: [
        SubscribeOptedInUsersEventController,
        UnsubscribeViaLinkHttpController,
        GetMySubscriptionHttpController,
        ResubscribeHttpController,
        UnsubscribeFromAccountHttpController,
        ForgetSubscriberEventController,
      ],
      providers: [
        SubscriptionRepository,
        SubscriptionCommands,
        SubscribeOptedInUsersHandler,
        UnsubscribeViaLinkHandler,
        ResubscribeHandler,
        UnsubscribeFromAccountHandler,
        ForgetSubscriberHandler,
        // Checks the links email-service signs with the same secret.
        { provide: LinkSigner, useValue: new LinkSigner(config.NEWSLETTER_LINK_SECRET) },
      ],
    };
  }
}
