import { type DynamicModule, Module, type OnApplicationShutdown } from '@nestjs/common';
import { MessagingRuntime, PersonalDataClient } from '@eventshop/messaging';
import { ApiDocsModule, CreateForgottenUsers1764800000200, type ServiceLogger, LinkSigner, ServicePlatformModule } from '@eventshop/platform';
import { emailServiceApi } from './email-service.api.js';
import { type EmailServiceConfig, manifest } from './config.js';
import { MAILER } from './mail/domain/mailer.port.js';
import { SmtpMailer } from './mail/infrastructure/smtp-mailer.js';
import { BreakerGuardedMailer, createSmtpBreaker, SMTP_DEPENDENCY } from './mail/infrastructure/breaker-guarded-mailer.js';
import { SentEmailRecord } from './mail/infrastructure/sent-email.record.js';
import { RecipientRecord } from './mail/infrastructure/recipient.record.js';
import { RecipientRepository } from './mail/infrastructure/recipient.repository.js';
import { SentEmails } from './mail/infrastructure/sent-emails.js';
import { CreateSentEmails1732300000200 } from './mail/infrastructure/migrations/1732300000200-create-sent-emails.js';
import { CreateRecipients1732300000300 } from './mail/infrastructure/migrations/1732300000300-create-recipients.js';
import { TrackSendingState1732300000400 } from './mail/infrastructure/migrations/1732300000400-track-sending-state.js';
import { PERSONAL_DATA, RecordRecipientHandler } from './record-recipient/record-recipient.handler.js';
import { RecordRecipientEventController } from './record-recipient/record-recipient.event.controller.js';
import { SendWelcomeEmailHandler, UnsubscribeLinks } from './send-welcome-email/send-welcome-email.handler.js';
import { SendWelcomeEmailEventController } from './send-welcome-email/send-welcome-email.event.controller.js';
import { SendOrderConfirmationHandler } from './send-order-confirmation/send-order-confirmation.handler.js';
import { SendOrderConfirmationEventController } from './send-order-confirmation/send-order-confirmation.event.controller.js';
import { SendCancellationNoticeHandler } from './send-cancellation-notice/send-cancellation-notice.handler.js';
import { SendCancellationNoticeEventController } from './send-cancellation-notice/send-cancellation-notice.event.controller.js';
import { ForgetRecipientHandler } from './forget-recipient/forget-recipient.handler.js';
import { ForgetRecipientEventController } from './forget-recipient/forget-recipient.event.controller.js';

/** The composition root of email-service. */
@Module({})
export class EmailServiceModule implements OnApplicationShutdown {
  constructor(private readonly smtp: SmtpMailer) {}

  static register(config: EmailServiceConfig, logger: ServiceLogger): DynamicModule {
    return {
      module: EmailServiceModule,
      imports: [
        ServicePlatformModule.forRoot({
          serviceName: manifest.name,
          config,
          logger,
          entities: [SentEmailRecord, RecipientRecord],
          migrations: [CreateSentEmails1732300000200, CreateRecipients1732300000300, TrackSendingState1732300000400, CreateForgottenUsers1764800000200],
        }),
        ApiDocsModule.forRoot(emailServiceApi),
      ],
      controllers: [
        RecordRecipientEventController,
        SendWelcomeEmailEventController,
        SendOrderConfirmationEventController,
        SendCancellationNoticeEventController,
        ForgetRecipientEventController,
      ],
      providers: [
        RecipientRepository,
        SentEmails,
        RecordRecipientHandler,
        SendWelcomeEmailHandler,
        SendOrderConfirmationHandler,
        SendCancellationNoticeHandler,
        ForgetRecipientHandler,
        {
          provide: PERSONAL_DATA,
          inject: [MessagingRuntime],
          useFactory: (runtime: MessagingRuntime) => new PersonalDataClient(() => runtime.connection, config.NATS_NAMESPACE),
        },
        {
          provide: UnsubscribeLinks,
          useValue: new UnsubscribeLinks(config.NEWSLETTER_PUBLIC_URL, new LinkSigner(config.NEWSLETTER_LINK_SECRET)),
        },
        {
          provide: SmtpMailer,
          useFactory: () =>
            new SmtpMailer({
              host: config.SMTP_HOST,
              port: config.SMTP_PORT,
              secure: config.SMTP_SECURE,
              user: config.SMTP_USER,
              password: config.SMTP_PASSWORD,
              from: config.MAIL_FROM,
              timeoutMs: config.SMTP_TIMEOUT_MS,
            }),
        },
        {
          provide: MAILER,
          inject: [SmtpMailer, MessagingRuntime],
          useFactory: (smtp: SmtpMailer, runtime: MessagingRuntime) =>
            new BreakerGuardedMailer(
              smtp,
              runtime.registerBreaker(
                SMTP_DEPENDENCY,
                createSmtpBreaker({ timeoutMs: config.SMTP_TIMEOUT_MS, resetTimeoutMs: config.SMTP_BREAKER_RESET_MS }),
              ),
            ),
        },
      ],
    };
  }

  onApplicationShutdown(): void {
    this.smtp.close();
  }
}
