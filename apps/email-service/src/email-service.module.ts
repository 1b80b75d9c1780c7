import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { type JsonLogger, ServicePlatformModule } from '@eventshop/platform';
import { type EmailServiceConfig, manifest } from './config.js';
import { MAILER } from './mail/domain/mailer.port.js';
import { SmtpMailer } from './mail/infrastructure/smtp-mailer.js';
import { SentEmailRecord } from './mail/infrastructure/sent-email.record.js';
import { CreateSentEmails1732300000200 } from './mail/infrastructure/migrations/1732300000200-create-sent-emails.js';
import { SendWelcomeEmailHandler } from './send-welcome-email/send-welcome-email.handler.js';
import { SendWelcomeEmailEventController } from './send-welcome-email/send-welcome-email.event.controller.js';

/** The composition root of email-service. */
@Module({})
export class EmailServiceModule implements OnApplicationShutdown {
  constructor(@Inject(MAILER) private readonly mailer: SmtpMailer) {}

  static register(config: EmailServiceConfig, logger: JsonLogger): DynamicModule {
    return {
      module: EmailServiceModule,
      imports: [
        ServicePlatformModule.forRoot({
          serviceName: manifest.name,
          config,
          logger,
          entities: [SentEmailRecord],
          migrations: [CreateSentEmails1732300000200],
        }),
      ],
      controllers: [SendWelcomeEmailEventController],
      providers: [
        SendWelcomeEmailHandler,
        {
          provide: MAILER,
          useFactory: () =>
            new SmtpMailer({
              host: config.SMTP_HOST,
              port: config.SMTP_PORT,
              secure: config.SMTP_SECURE,
              user: config.SMTP_USER,
              password: config.SMTP_PASSWORD,
              from: config.MAIL_FROM,
            }),
        },
      ],
    };
  }

  onApplicationShutdown(): void {
    this.mailer.close();
  }
}
