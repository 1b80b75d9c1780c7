import { Controller, Get, NotFoundException, UseGuards } from '@nestjs/common';
import { type AccessTokenClaims, CurrentUser, JwtAuthGuard } from '@eventshop/platform';
import { type AccountDeletionView, toDeletionView } from '../account-deletion/domain/deletion-view.js';
import { AccountDeletionRepository } from '../account-deletion/infrastructure/account-deletion.repository.js';

@Controller('users')
export class GetAccountDeletionHttpController {
  constructor(private readonly deletions: AccountDeletionRepository) {}

  /**
   * `200` with the progress of the caller's account deletion (per participant, and `completed` at
   * the end: the token outlives the account, so the user can watch it finish); `404` if they never
   * asked.
   */
  @Get('me/deletion')
  @UseGuards(JwtAuthGuard)
  async progress(@CurrentUser() caller: AccessTokenClaims): Promise<AccountDeletionView> {
    const deletion = await this.deletions.find(caller.sub);
    if (!deletion) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: 'No deletion of this account was requested' });
    return toDeletionView(deletion);
  }
}
