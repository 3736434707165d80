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
import { BacktestsModule } from './backtests/backtests.module.js';
import { CollateralModule } from './collateral/collateral.module.js';
import { graphqlContextFactory } from './common/graphql-context.factory.js';
import { readModelHooks } from './common/read-model/read-model.hooks.js';
import { ReadModelModule } from './common/read-model/read-model.module.js';
import { ReadModelService } from './common/read-model/read-model.service.js';
import { InstrumentsModule } from './instruments/instruments.module.js';
import { ParametersModule } from './parameters/parameters.module.js';
import { DateTimeScalar } from './common/scalars/date-time.scalar.js';
import { CachedApiKeyService } from './security/cached-api-key.service.js';
import { FailedAuthenticationGate } from './security/failed-authentication.gate.js';
import { noIntrospectionRule, queryCostRule } from './security/query-limits.js';
import { OperationRateLimiter } from './security/rate-limiter.js';
import { formatApiErrors } from './security/security-error.formatter.js';
import { securityHooks } from './security/security.hooks.js';
import { SecurityModule } from './security/security.module.js';
import { StatementsModule } from './statements/statements.module.js';
import { apiSecurityOptions, type ApiSecurityOptions } from './security/security.options.js';
import { SystemModule } from './system/system.module.js';
import {
  subscriptionOnConnect,
  subscriptionSecurityHooks,
  SUBSCRIPTION_KEEP_ALIVE_MS,
} from './subscriptions/subscription-connection.js';
import { SubscriptionsModule } from './subscriptions/subscriptions.module.js';
import { TradingModule } from './trading/trading.module.js';
import { WhatIfModule } from './what-if/what-if.module.js';

export const API_SERVICE_NAME = 'api';

/**
 * GraphQL on Mercurius with graphql-jit: on this machine it served a trivial query at roughly 3x the
 * rate of Apollo on Fastify (see README), and the member API's goal is 5,000 req/s per core.
 */
@Module({})
export class ApiModule {
  /** `security` overrides the documented abuse limits (see security/security.options.ts), e.g. for a load bench. */
  static register(config: NovationConfig, security: Partial<ApiSecurityOptions> = {}): DynamicModule {
    const production = config.environmentName === 'production';
    const limits = apiSecurityOptions(config, security);
    return {
      module: ApiModule,
      imports: [
        NovationConfigModule.forRoot(config),
        loggingModule(config, API_SERVICE_NAME),
        RedisModule,
        PersistenceModule.forRoot(API_SERVICE_NAME),
        OperationsModule,
        SecurityModule.forRoot(limits),
        GraphQLModule.forRootAsync<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          imports: [AuthModule, AccountsModule, ReadModelModule],
          inject: [
            ApiKeyService,
            CachedApiKeyService,
            AccountLoaderFactory,
            OperationRateLimiter,
            ReadModelService,
            FailedAuthenticationGate,
          ],
          useFactory: (
            apiKeys: ApiKeyService,
            cachedApiKeys: CachedApiKeyService,
            loaders: AccountLoaderFactory,
            limiter: OperationRateLimiter,
            readModel: ReadModelService,
            authenticationGate: FailedAuthenticationGate,
          ) => ({
            path: '/graphql',
            autoSchemaFile: true,
            sortSchema: true,
            buildSchemaOptions: { scalarsMap: [{ type: Date, scalar: DateTimeScalar }] },
            graphiql: !production,
            // Compile a query to JS after its first run (graphql-jit).
            jit: 1,
            // One operation per request: batched requests multiply the cost of one HTTP call.
            allowBatchedQueries: false,
            // Depth and aliases are checked first, before graphql-js validation (security.hooks.ts); this is
            // Mercurius's own check after it, kept as a second line.
            queryDepth: limits.maxDepth,
            graphql: { parseOptions: { maxTokens: limits.maxTokens } },
            // Cost refused at validation, so before execution; cached with the query, so paid once per query.
            validationRules: limits.introspection
              ? [queryCostRule(limits.maxCost)]
              : [queryCostRule(limits.maxCost), noIntrospectionRule],
            // Rate limit per operation, then depth and aliases before validation.
            // After a mutation, wait until the read model has applied it (read-your-writes).
            hooks: {
              ...securityHooks(limiter, limits),
              ...subscriptionSecurityHooks(limiter, limits),
              ...readModelHooks(readModel),
            },
            // The authenticated-key cache only when configured (off by default, see security.options.ts).
            context: graphqlContextFactory(
              limits.authenticationCacheTtlMs > 0 ? cachedApiKeys : apiKeys,
              loaders,
              authenticationGate,
            ),
            errorFormatter: formatApiErrors,
            // graphql-ws (graphql-transport-ws) at /graphql for the member event stream (subscriptions/).
            subscription: {
              onConnect: subscriptionOnConnect(
                limits.authenticationCacheTtlMs > 0 ? cachedApiKeys : apiKeys,
                loaders,
                limiter,
              ),
              keepAlive: SUBSCRIPTION_KEEP_ALIVE_MS,
              fullWsTransport: false,
            },
          }),
        }),
        SystemModule,
        AuthModule,
        AccountsModule,
        TradingModule,
        CollateralModule,
        WhatIfModule,
        BacktestsModule,
        SubscriptionsModule,
        StatementsModule,
        InstrumentsModule,
        ParametersModule,
      ],
    };
  }
}
