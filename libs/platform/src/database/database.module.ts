import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { MixedList, EntitySchema, MigrationInterface } from 'typeorm';
import { messagingMigrations } from '@eventshop/messaging';
import { databaseUrl, postgresServerUrl, type BaseConfig } from '../config/config.js';
import { ensureDatabase } from './ensure-database.js';

export interface DatabaseModuleOptions {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly entities: MixedList<Function | string | EntitySchema>;
  /** The service's own migrations; the bus's outbox and inbox migrations are added first. */
  readonly migrations: Array<new () => MigrationInterface>;
  readonly poolSize?: number;
}

/**
 * The service's own PostgreSQL database through TypeORM: created if missing and migrated on start
 * (never `synchronize`), so `npm start` and the tests need no manual setup.
 */
@Module({})
export class DatabaseModule {
  static forRoot(config: BaseConfig, options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: async () => {
            await ensureDatabase(postgresServerUrl(config), config.DATABASE_NAME);
            return {
              type: 'postgres' as const,
              url: databaseUrl(config),
              entities: options.entities,
              migrations: [...messagingMigrations, ...options.migrations],
              migrationsRun: true,
              // All pending migrations in one transaction: a failure leaves the schema as it was.
              migrationsTransactionMode: 'all' as const,
              synchronize: false,
              logging: false,
              // A server that does not answer fails a request in seconds (a 503) instead of holding it forever.
              extra: { max: options.poolSize ?? 10, connectionTimeoutMillis: 5_000 },
              // Fail fast at start-up instead of retrying for a minute.
              retryAttempts: 0,
            };
          },
        }),
      ],
    };
  }
}
