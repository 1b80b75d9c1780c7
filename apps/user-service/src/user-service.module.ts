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

const AUTH_RATE_LIMITS = Symbol('AUTH_RATE_LIMITS');

/** The composition root of user-service: its features on top of the shared platform. */
@Module({})
export class UserServiceModule implements NestModule {
  constructor(@Inject(AUTH_RATE_LIMITS) private readonly authRateLimits: RateLimits) {}

  /** Login and sign-up are where guessers and bots knock: each gets its own per-client and per-account budgets. */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(...rateLimits(this.authRateLimits)).forRoutes({ path: 'auth/login', method: RequestMethod.POST });
    consumer.apply(...rateLimits(this.authRateLimits)).forRoutes({ path: 'users', method: RequestMethod.POST });
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
          entities: [UserRecord],
          migrations: [CreateUsers1732300000100],
        }),
        ApiDocsModule.forRoot(userServiceApi),
      ],
      controllers: [RegisterUserHttpController, LoginHttpController, GetCurrentUserHttpController],
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
