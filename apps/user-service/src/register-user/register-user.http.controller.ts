import { Body, ConflictException, Controller, HttpCode, Post } from '@nestjs/common';
import { EmailAlreadyTakenError, type UserView } from '../users/domain/user.js';
import { RegisterUserHandler } from './register-user.handler.js';
import { RegisterUserRequest } from './register-user.request.dto.js';

@Controller('users')
export class RegisterUserHttpController {
  constructor(private readonly handler: RegisterUserHandler) {}

  /**
   * `201 {id, email, name, createdAt}`; `400` naming each bad field; `409` for a taken email; `429`
   * with `Retry-After` once the client (or the email) has used up its attempts.
   */
  @Post()
  @HttpCode(201)
  async register(@Body({ schema: RegisterUserRequest }) body: RegisterUserRequest): Promise<UserView> {
    try {
      return await this.handler.execute(body);
    } catch (error) {
      if (error instanceof EmailAlreadyTakenError) {
        throw new ConflictException({ statusCode: 409, error: 'Conflict', message: error.message });
      }
      throw error;
    }
  }
}
