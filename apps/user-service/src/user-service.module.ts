import { type DynamicModule, Inject, type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { ApiDocsModule, type ServiceLogger, loadKey, type RateLimits, rateLimits, ServicePlatformModule } from '@eventshop/platform';
import { normalizeEmail } from './users/domain/user.js';
import { manifest, type UserServiceConfig } from './config.js';
import { UserRecord } from './users/infrastructure/user.record.js';
import { UserRepository } from './users/infrastructure/user.repository.js';
import { BcryptPasswordHasher } from './users/infrastructure/bcrypt-password-hasher.js';
import { CreateUsers1732300000100 } from './users/infrastructure/migrations/1732300000100-create-users.js';
import { PASSWORD_HASHER } from './users/domain/password-hasher.port.js';
import { RegisterUserHandler } from './register-user/register-user.handler.js';
import { RegisterUserHttpController } from './register-user/register-user.http.controller.js';
import { LoginHandler } from './login/login.handler.js';
import { LoginHttpController } from './login/login.http.controller.js';
import { AccessTokenIssuer } from './login/access-token.issuer.js';
import { GetCurrentUserHttpController } from './get-current-user/get-current-user.http.controller.js';
import { userServiceApi } from './user-service.api.js';
import { AccountDeletionRecord } from './account-deletion/infrastructure/account-deletion.record.js';
import { AccountDeletionRepository } from './account-deletion/infrastructure/account-deletion.repository.js';
import { AccountDeletionCommands } from './account-deletion/infrastructure/account-deletion-commands.js';
import { CreateAccountDeletions1764800000100 } from './account-deletion/infrastructure/migrations/1764800000100-create-account-deletions.js';
import { DELETION_TIMINGS, RequestAccountDeletionHandler } from './request-account-deletion/request-account-deletion.handler.js';
import { RequestAccountDeletionHttpController } from './request-account-deletion/request-account-deletion.http.controller.js';
import { GetAccountDeletionHttpController } from './get-account-deletion/get-account-deletion.http.controller.js';
import { TrackAccountDeletionHandler } from './track-account-deletion/track-account-deletion.handler.js';
import { TrackAccountDeletionEventController } from './track-account-deletion/track-account-deletion.event.controller.js';
import {
  AccountDeletionTimer,
  DELETION_TIMER_LOGGER,
  DELETION_TIMER_SETTINGS,
  type DeletionTimerSettings,
} from './track-account-deletion/account-deletion.timer.js';
import type { DeletionTimings } from './account-deletion/domain/account-deletion.js';
import { AnswerPersonalDataResponder, PERSONAL_DATA_RESPONDER_LOGGER } from './answer-personal-data/answer-personal-data.responder.js';

const AUTH_RATE_LIMITS = Symbol('AUTH_RATE_LIMITS');

/** The composition root of user-service: its features on top of the shared platform. */
@Module({})
export class UserServiceModule implements NestModule {
  constructor(@Inject(AUTH_RATE_LIMITS) private readonly authRateLimits: RateLimits) {}

  /** Login and sign-up are where guessers and bots knock: each gets its own per-client and per-account budgets. */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(...rateLimits(this.authRateLimits)).forRoutes({ path: 'auth/login', method: RequestMethod.POST });
    consumer.apply(...rateLimits(this.authRateLimits)).forRoutes({ path: 'users', method: RequestMethod.POST });
    // Deleting re-checks the password: the same budgets against guessing it with a stolen token.
    consumer.apply(...rateLimits(this.authRateLimits)).forRoutes({ path: 'users/me', method: RequestMethod.DELETE });
  }

  static register(config: UserServiceConfig, logger: ServiceLogger): DynamicModule {
    const privateKey = loadKey({
      inline: config.JWT_PRIVATE_KEY,
      file: config.JWT_PRIVATE_KEY_FILE,
      name: 'JWT_PRIVATE_KEY',
      generateIfMissing: config.NODE_ENV !== 'production',
    });
    return {
      module: UserServiceModule,
      imports: [
        ServicePlatformModule.forRoot({
          serviceName: manifest.name,
          config,
          logger,
          entities: [UserRecord, AccountDeletionRecord],
          migrations: [CreateUsers1732300000100, CreateAccountDeletions1764800000100],
        }),
        ApiDocsModule.forRoot(userServiceApi),
      ],
      controllers: [
        RegisterUserHttpController,
        LoginHttpController,
        GetCurrentUserHttpController,
        RequestAccountDeletionHttpController,
        GetAccountDeletionHttpController,
        TrackAccountDeletionEventController,
      ],
      providers: [
        {
          provide: AUTH_RATE_LIMITS,
          useValue: {
            perAccount: config.AUTH_RATE_LIMIT_PER_ACCOUNT,
            perClient: config.AUTH_RATE_LIMIT_PER_CLIENT,
            windowSeconds: config.AUTH_RATE_LIMIT_WINDOW_SECONDS,
            // The account is the email the body names, spelled as the service stores it.
            accountOf: (request) => {
              const email: unknown = (request.body as { email?: unknown } | undefined)?.email;
              return typeof email === 'string' ? normalizeEmail(email) : undefined;
            },
          } satisfies RateLimits,
        },
        UserRepository,
        RegisterUserHandler,
        AccountDeletionRepository,
        AccountDeletionCommands,
        RequestAccountDeletionHandler,
        TrackAccountDeletionHandler,
        AccountDeletionTimer,
        {
          provide: DELETION_TIMINGS,
          useValue: {
            retryAfterMs: config.ACCOUNT_DELETION_RETRY_AFTER_MS,
            deadlineMs: config.ACCOUNT_DELETION_DEADLINE_MS,
          } satisfies DeletionTimings,
        },
        {
          provide: DELETION_TIMER_SETTINGS,
          useValue: { checkIntervalMs: config.ACCOUNT_DELETION_CHECK_INTERVAL_MS, serviceName: manifest.name } satisfies DeletionTimerSettings,
        },
        { provide: DELETION_TIMER_LOGGER, useValue: logger },
        AnswerPersonalDataResponder,
        { provide: PERSONAL_DATA_RESPONDER_LOGGER, useValue: logger },
        LoginHandler,
        { provide: PASSWORD_HASHER, useValue: new BcryptPasswordHasher(config.BCRYPT_COST) },
        {
          provide: AccessTokenIssuer,
          useValue: new AccessTokenIssuer({
            privateKey,
            issuer: config.JWT_ISSUER,
            audience: config.JWT_AUDIENCE,
            ttlSeconds: config.JWT_TTL_SECONDS,
          }),
        },
      ],
    };
  }
}
