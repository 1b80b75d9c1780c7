import { Body, Controller, Delete, Header, HttpCode, NotFoundException, UnauthorizedException, UseGuards } from '@nestjs/common';
import { type AccessTokenClaims, CurrentUser, JwtAuthGuard } from '@eventshop/platform';
import { InvalidCredentialsError } from '../users/domain/user.js';
import { type AccountDeletionView, toDeletionView } from '../account-deletion/domain/deletion-view.js';
import { AccountGoneError, RequestAccountDeletionHandler } from './request-account-deletion.handler.js';
import { RequestAccountDeletionRequest } from './request-account-deletion.request.dto.js';

/** Where the progress of the caller's deletion is shown. */
export const DELETION_STATUS_PATH = '/users/me/deletion';

@Controller('users')
export class RequestAccountDeletionHttpController {
  constructor(private readonly handler: RequestAccountDeletionHandler) {}

  /**
   * `202` with the deletion's progress and `Location: /users/me/deletion` — also for a repeated
   * request while the deletion runs; `400` without a password; `401` for a wrong password or no
   * valid token; `404` once the account is erased.
   */
  @Delete('me')
  @HttpCode(202)
  @Header('Location', DELETION_STATUS_PATH)
  @UseGuards(JwtAuthGuard)
  async requestDeletion(
    @CurrentUser() caller: AccessTokenClaims,
    @Body({ schema: RequestAccountDeletionRequest }) body: RequestAccountDeletionRequest,
  ): Promise<AccountDeletionView> {
    try {
      const deletion = await this.handler.execute(caller.sub, body.password);
      return toDeletionView(deletion);
    } catch (error) {
      if (error instanceof InvalidCredentialsError) {
        throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: 'Wrong password' });
      }
      if (error instanceof AccountGoneError) {
        throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: error.message });
      }
      throw error;
    }
  }
}
