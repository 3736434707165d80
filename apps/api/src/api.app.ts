import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import { createFastifyApp } from '@novation/platform';
import { ApiModule } from './api.module.js';

export function createApiApp(config: NovationConfig): Promise<NestFastifyApplication> {
  return createFastifyApp(ApiModule.register(config));
}
