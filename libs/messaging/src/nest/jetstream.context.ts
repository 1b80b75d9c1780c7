import { BaseRpcContext } from '@nestjs/microservices';
import type { ReceivedMessage } from '../message.js';
import type { HandleOnce } from '../inbox/inbox.js';
import type { HandlerContext } from '../router/message-router.js';

/** Available in handlers via `@Ctx()`: the router's handler context for this delivery. */
export class JetStreamContext extends BaseRpcContext<[HandlerContext]> {
  /** The raw delivery: subject, headers, delivery count, stream sequence, consumer group. */
  getMessage(): ReceivedMessage {
    return this.args[0].message;
  }

  /** The handler's name from its `@OnEvent` registration. */
  getHandler(): string {
    return this.args[0].handler;
  }

  /** Handles this event at most once for this handler (keyed by its `@OnEvent` name); see HandleOnce. */
  get once(): HandleOnce {
    return this.args[0].once;
  }
}
