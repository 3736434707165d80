import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import { createFastifyApp } from '@novation/platform';
import { ApiModule } from './api.module.js';
import { ReadModelService } from './common/read-model/read-model.service.js';
import { installResponseCache } from './common/read-model/response-cache.hooks.js';
import { CachedApiKeyService } from './security/cached-api-key.service.js';
import { OperationRateLimiter } from './security/rate-limiter.js';
import { apiSecurityOptions, type ApiSecurityOptions } from './security/security.options.js';

/** `security` overrides the API's abuse limits (rate limits, cost...); production passes none. */
export async function createApiApp(
  config: NovationConfig,
  security: Partial<ApiSecurityOptions> = {},
): Promise<NestFastifyApplication> {
  const app = await createFastifyApp(ApiModule.register(config, security));
  const options = apiSecurityOptions(config, security);
  // Before listen: Fastify applies the hooks to the GraphQL route registered when the app initialises.
  if (options.responseCache && options.authenticationCacheTtlMs > 0) {
    installResponseCache(app.getHttpAdapter().getInstance(), {
      cache: app.get(ReadModelService).responses,
      apiKeys: app.get(CachedApiKeyService),
      limiter: app.get(OperationRateLimiter),
    });
  }
  return app;
}
