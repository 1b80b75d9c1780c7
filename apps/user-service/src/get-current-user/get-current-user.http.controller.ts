import { Controller, Get, NotFoundException, UseGuards } from '@nestjs/common';
import { type AccessTokenClaims, CurrentUser, JwtAuthGuard } from '@eventshop/platform';
import { toUserView, type UserView } from '../users/domain/user.js';
import { UserRepository } from '../users/infrastructure/user.repository.js';

@Controller('users')
export class GetCurrentUserHttpController {
  constructor(private readonly users: UserRepository) {}

  /** `200` with the caller's profile; `401` without a valid bearer token. */
  @Get('me')
  @UseGuards(JwtAuthGuard)
  async me(@CurrentUser() caller: AccessTokenClaims): Promise<UserView> {
    const user = await this.users.findById(caller.sub);
    if (!user) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: 'User no longer exists' });
    return toUserView(user);
  }
}
