import { NotFoundException } from '@nestjs/common';

/** `404`: the read model knows no signed-up user with this id (over NATS: the same body as the error). */
export class UnknownUserException extends NotFoundException {
  constructor() {
    super({ statusCode: 404, error: 'Not Found', message: 'No such user in the read model' });
  }
}
