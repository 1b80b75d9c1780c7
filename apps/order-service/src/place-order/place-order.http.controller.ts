import {
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  Headers,
  HttpCode,
  Post,
  Res,
  ServiceUnavailableException,
  UnprocessableEntityException,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import { type AccessTokenClaims, CurrentUser, JwtAuthGuard, validationFailed } from '@eventshop/platform';
import { CustomerGoneError, UnknownCustomerError } from '../customers/domain/customer.js';
import { InvalidOrderError, toOrderView, type OrderView } from '../orders/domain/order.js';
import { IdempotencyKeyReusedError, PlaceOrderHandler } from './place-order.handler.js';
import { PlaceOrderHeaders, PlaceOrderRequest } from './place-order.request.dto.js';

/**
 * How long a caller unknown to the customer replica should wait before retrying. The replica
 * normally lags the sign-up by well under a second (outbox relay, then one consumer hop).
 */
const UNKNOWN_CUSTOMER_RETRY_AFTER_SECONDS = 1;

@Controller('orders')
export class PlaceOrderHttpController {
  constructor(private readonly handler: PlaceOrderHandler) {}

  /**
   * `201` with the order; `400` naming each bad field; `401` without a valid bearer token.
   *
   * `503` with `Retry-After` when the caller's sign-up has not reached order-service yet. Not `409`:
   * nothing is wrong with the request or with any resource's state, and the same request will
   * succeed unchanged in a moment. The delay is ours (an eventually consistent replica), which is
   * what a 5xx with `Retry-After` says, and what clients and gateways know how to retry. Retrying
   * is safe: a refused request wrote nothing.
   *
   * With an `Idempotency-Key` header the order is placed once per customer and key: a retry with the
   * same key and body gets `201` with the order placed first (and `Idempotent-Replayed: true`); the
   * same key with other lines gets `422`.
   */
  @Post()
  @HttpCode(201)
  @UseGuards(JwtAuthGuard)
  async place(
    @CurrentUser() caller: AccessTokenClaims,
    @Body({ schema: PlaceOrderRequest }) body: PlaceOrderRequest,
    @Headers('idempotency-key') idempotencyKeyHeader: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OrderView> {
    const idempotencyKey = parseIdempotencyKey(idempotencyKeyHeader);
    try {
      const { order, replayed } = await this.handler.execute({ userId: caller.sub, items: body.items, idempotencyKey });
      if (replayed) response.setHeader('Idempotent-Replayed', 'true');
      return toOrderView(order);
    } catch (error) {
      if (error instanceof IdempotencyKeyReusedError) {
        throw new UnprocessableEntityException({ statusCode: 422, error: 'Unprocessable Entity', message: error.message });
      }
      if (error instanceof UnknownCustomerError) {
        response.setHeader('Retry-After', String(UNKNOWN_CUSTOMER_RETRY_AFTER_SECONDS));
        throw new ServiceUnavailableException({ statusCode: 503, error: 'Service Unavailable', message: error.message });
      }
      if (error instanceof CustomerGoneError) {
        throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', message: error.message });
      }
      if (error instanceof InvalidOrderError) {
        throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: error.message });
      }
      throw error;
    }
  }
}

/** The `Idempotency-Key` header, checked like a body field: a bad one is a 400 naming it. */
function parseIdempotencyKey(header: string | undefined): string | undefined {
  const parsed = PlaceOrderHeaders.safeParse({ 'Idempotency-Key': header });
  if (!parsed.success) throw validationFailed(parsed.error.issues.map((issue) => ({ field: 'Idempotency-Key', message: issue.message })));
  return parsed.data['Idempotency-Key'];
}
