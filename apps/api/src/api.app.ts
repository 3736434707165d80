import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import { createFastifyApp } from '@novation/platform';
import { ApiModule } from './api.module.js';
import type { ApiSecurityOptions } from './security/security.options.js';

/** `security` overrides the API's abuse limits (rate limits, cost...); production passes none. */
export function createApiApp(
  config: NovationConfig,
  security: Partial<ApiSecurityOptions> = {},
): Promise<NestFastifyApplication> {
  return createFastifyApp(ApiModule.register(config, security));
}
