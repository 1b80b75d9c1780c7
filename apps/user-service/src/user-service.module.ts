import { type DynamicModule, Module } from '@nestjs/common';
import { type JsonLogger, loadKey, ServicePlatformModule } from '@eventshop/platform';
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

/** The composition root of user-service: its features on top of the shared platform. */
@Module({})
export class UserServiceModule {
  static register(config: UserServiceConfig, logger: JsonLogger): DynamicModule {
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
      ],
      controllers: [RegisterUserHttpController, LoginHttpController, GetCurrentUserHttpController],
      providers: [
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
