import { Module, type DynamicModule } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import type { NovationConfig } from '@novation/config';
import { PersistenceModule } from '@novation/persistence';
import { NovationConfigModule, OperationsModule, RedisModule, loggingModule } from '@novation/platform';
import { AccountLoaderFactory } from './accounts/account.loaders.js';
import { AccountsModule } from './accounts/accounts.module.js';
import { ApiKeyService } from './auth/api-key.service.js';
import { AuthModule } from './auth/auth.module.js';
import { graphqlContextFactory } from './common/graphql-context.factory.js';
import { formatGraphqlErrors } from './common/graphql-error.mapper.js';
import { DateTimeScalar } from './common/scalars/date-time.scalar.js';
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
        GraphQLModule.forRootAsync<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          imports: [AuthModule, AccountsModule],
          inject: [ApiKeyService, AccountLoaderFactory],
          useFactory: (apiKeys: ApiKeyService, loaders: AccountLoaderFactory) => ({
            path: '/graphql',
            autoSchemaFile: true,
            sortSchema: true,
            buildSchemaOptions: { scalarsMap: [{ type: Date, scalar: DateTimeScalar }] },
            graphiql: !production,
            // Compile a query to JS after its first run (graphql-jit).
            jit: 1,
            // One operation per request: batched requests multiply the cost of one HTTP call.
            allowBatchedQueries: false,
            queryDepth: 12,
            context: graphqlContextFactory(apiKeys, loaders),
            errorFormatter: formatGraphqlErrors,
          }),
        }),
        SystemModule,
        AuthModule,
        AccountsModule,
      ],
    };
  }
}
