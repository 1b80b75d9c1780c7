import { type DynamicModule, Module } from '@nestjs/common';
import { ApiDocsModule, CreateForgottenUsers1764800000200, type ServiceLogger, ServicePlatformModule } from '@eventshop/platform';
import { orderServiceApi } from './order-service.api.js';
import { manifest, type OrderServiceConfig } from './config.js';
import { CustomerRecord } from './customers/infrastructure/customer.record.js';
import { CustomerRepository } from './customers/infrastructure/customer.repository.js';
import { CreateCustomers1732300000410 } from './customers/infrastructure/migrations/1732300000410-create-customers.js';
import { OrderEventRecord } from './orders/infrastructure/order-event.record.js';
import { OrderEventStore } from './orders/infrastructure/order-event-store.js';
import { OrderRepository } from './orders/infrastructure/order.repository.js';
import { OrderCommands } from './orders/infrastructure/order-commands.js';
import { CreateOrderEvents1732300000400 } from './orders/infrastructure/migrations/1732300000400-create-order-events.js';
import { RecordCustomerHandler } from './record-customer/record-customer.handler.js';
import { RecordCustomerEventController } from './record-customer/record-customer.event.controller.js';
import { AnonymiseCustomerHandler } from './anonymise-customer/anonymise-customer.handler.js';
import { AnonymiseCustomerEventController } from './anonymise-customer/anonymise-customer.event.controller.js';
import { PlaceOrderHandler } from './place-order/place-order.handler.js';
import { PlaceOrderHttpController } from './place-order/place-order.http.controller.js';
import { CancelOrderHandler } from './cancel-order/cancel-order.handler.js';
import { CancelOrderHttpController } from './cancel-order/cancel-order.http.controller.js';
import { GetOrderHttpController } from './get-order/get-order.http.controller.js';
import { ListMyOrdersHttpController } from './list-my-orders/list-my-orders.http.controller.js';

/** The composition root of order-service: its features on top of the shared platform. */
@Module({})
export class OrderServiceModule {
  static register(config: OrderServiceConfig, logger: ServiceLogger): DynamicModule {
    return {
      module: OrderServiceModule,
      imports: [
        ServicePlatformModule.forRoot({
          serviceName: manifest.name,
          config,
          logger,
          entities: [OrderEventRecord, CustomerRecord],
          migrations: [CreateOrderEvents1732300000400, CreateCustomers1732300000410, CreateForgottenUsers1764800000200],
        }),
        ApiDocsModule.forRoot(orderServiceApi),
      ],
      controllers: [
        PlaceOrderHttpController,
        ListMyOrdersHttpController,
        GetOrderHttpController,
        CancelOrderHttpController,
        RecordCustomerEventController,
        AnonymiseCustomerEventController,
      ],
      providers: [
        OrderEventStore,
        OrderRepository,
        OrderCommands,
        CustomerRepository,
        PlaceOrderHandler,
        CancelOrderHandler,
        RecordCustomerHandler,
        AnonymiseCustomerHandler,
      ],
    };
  }
}
