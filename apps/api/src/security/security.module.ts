import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ReadModelModule } from '../common/read-model/read-model.module.js';
import { CachedApiKeyService } from './cached-api-key.service.js';
import { FailedAuthenticationGate } from './failed-authentication.gate.js';
import { OperationRateLimiter } from './rate-limiter.js';
import { API_SECURITY_OPTIONS, type ApiSecurityOptions } from './security.options.js';

/** The abuse limits of the GraphQL API: options, the Redis rate limiter and the authenticated-key cache. */
@Global()
@Module({})
export class SecurityModule {
  static forRoot(options: ApiSecurityOptions): DynamicModule {
    return {
      module: SecurityModule,
      imports: [ReadModelModule],
      providers: [
        { provide: API_SECURITY_OPTIONS, useValue: options },
        OperationRateLimiter,
        CachedApiKeyService,
        FailedAuthenticationGate,
      ],
      exports: [API_SECURITY_OPTIONS, OperationRateLimiter, CachedApiKeyService, FailedAuthenticationGate],
    };
  }
}
