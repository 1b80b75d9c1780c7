import { BaseRpcContext } from '@nestjs/microservices';
import type { ReceivedMessage } from '../message.js';

/** Available in handlers via `@Ctx()`: the raw delivery (subject, headers, delivery count). */
export class JetStreamContext extends BaseRpcContext<[ReceivedMessage]> {
  getMessage(): ReceivedMessage {
    return this.args[0];
  }
}
