import { Body, Controller, HttpCode, Post, UnauthorizedException } from '@nestjs/common';
import { InvalidCredentialsError } from '../users/domain/user.js';
import type { AccessToken } from './access-token.issuer.js';
import { LoginHandler } from './login.handler.js';
import { LoginRequest } from './login.request.dto.js';

@Controller('auth')
export class LoginHttpController {
  constructor(private readonly handler: LoginHandler) {}

  /**
   * `200 {accessToken, tokenType, expiresIn}`; one identical `401` for any wrong credentials; `429`
   * with `Retry-After` once the account or the client has used up its attempts.
   */
  @Post('login')
  @HttpCode(200)
  async login(@Body({ schema: LoginRequest }) body: LoginRequest): Promise<AccessToken> {
    try {
      return await this.handler.execute(body.email, body.password);
    } catch (error) {
      if (error instanceof InvalidCredentialsError) {
        throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: error.message });
      }
      throw error;
    }
  }
}
