import { Controller, type Type, UseFilters, UseGuards } from '@nestjs/common';
import { MessagePattern, Payload, Transport } from '@nestjs/microservices';
import type { TimelineItemView, UserOrderView, UserOverviewView } from '../read-model/domain/views.js';
import { ReadModelRepository } from '../read-model/infrastructure/read-model.repository.js';
import { UnknownUserException } from '../http/unknown-user.exception.js';
import { querySubject, UserQueryRequest } from './read-model.rpc-api.js';
import { RpcErrorReplyFilter } from './rpc-error-reply.filter.js';
import { CallerIsUserRpcGuard } from './caller-is-user.rpc-guard.js';

/**
 * Makes the controller that answers the read-model queries over NATS (queue group
 * `read-model-service.rpc`, so replicas share the requests) for one namespace. Every query needs
 * the caller's own token, like REST (CallerIsUserRpcGuard).
 *
 * A factory because `@MessagePattern` fixes its subject when the class is declared, and the subject
 * depends on NATS_NAMESPACE, which is known only once the config is loaded.
 */
export function readModelRpcController(namespace: string): Type<unknown> {
  @Controller()
  @UseFilters(new RpcErrorReplyFilter())
  @UseGuards(CallerIsUserRpcGuard)
  class ReadModelRpcController {
    constructor(private readonly readModel: ReadModelRepository) {}

    @MessagePattern(querySubject(namespace, 'userOverview'), Transport.NATS)
    async userOverview(@Payload({ schema: UserQueryRequest }) { userId }: UserQueryRequest): Promise<UserOverviewView> {
      return (await this.readModel.findUserOverview(userId)) ?? unknownUser();
    }

    @MessagePattern(querySubject(namespace, 'userOrders'), Transport.NATS)
    async userOrders(@Payload({ schema: UserQueryRequest }) { userId }: UserQueryRequest): Promise<UserOrderView[]> {
      return (await this.readModel.findUserOrders(userId)) ?? unknownUser();
    }

    @MessagePattern(querySubject(namespace, 'userTimeline'), Transport.NATS)
    async userTimeline(@Payload({ schema: UserQueryRequest }) { userId }: UserQueryRequest): Promise<TimelineItemView[]> {
      return (await this.readModel.findUserTimeline(userId)) ?? unknownUser();
    }
  }
  return ReadModelRpcController;
}

function unknownUser(): never {
  throw new UnknownUserException();
}
