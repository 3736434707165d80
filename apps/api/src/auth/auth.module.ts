import { Module } from '@nestjs/common';
import { ApiKeyService } from './api-key.service.js';
import { AuthResolver } from './auth.resolver.js';
import { RolesGuard } from './roles.guard.js';

@Module({
  providers: [ApiKeyService, RolesGuard, AuthResolver],
  exports: [ApiKeyService, RolesGuard],
})
export class AuthModule {}
