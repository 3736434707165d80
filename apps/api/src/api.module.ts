import { Module, type DynamicModule } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import type { NovationConfig } from '@novation/config';
import { PersistenceModule } from '@novation/persistence';
import { NovationConfigModule, OperationsModule, RedisModule, loggingModule } from '@novation/platform';
import { SystemModule } from './system/system.module.js';

export const API_SERVICE_NAME = 'api';

/**
 * GraphQL on Mercurius with graphql-jit: on this machine it served a trivial query at roughly 3x the
 * rate of Apollo on Fastify (see README), and the member API's goal is 5,000 req/s per core.
 */
@Module({})
export class ApiModule {
  static register(config: NovationConfig): DynamicModule {
    const production = config.environmentName === 'production';
    return {
      module: ApiModule,
      imports: [
        NovationConfigModule.forRoot(config),
        loggingModule(config, API_SERVICE_NAME),
        RedisModule,
        PersistenceModule.forRoot(API_SERVICE_NAME),
        OperationsModule,
        GraphQLModule.forRoot<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          path: '/graphql',
          autoSchemaFile: true,
          sortSchema: true,
          graphiql: !production,
          // Compile a query to JS after its first run (graphql-jit).
          jit: 1,
          // One operation per request: batched requests multiply the cost of one HTTP call.
          allowBatchedQueries: false,
          queryDepth: 12,
        }),
        SystemModule,
      ],
    };
  }
}
