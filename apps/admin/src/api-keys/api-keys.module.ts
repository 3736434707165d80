import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module.js';
import { ReferenceDataExceptionFilter } from '../reference/reference-data-exception.filter.js';
import { ApiKeysController } from './api-keys.controller.js';
import { ApiKeysService } from './api-keys.service.js';

/** Issue, rotate, revoke and list API keys of member firms, venues and custody. */
@Module({
  imports: [AuditModule],
  controllers: [ApiKeysController],
  providers: [ApiKeysService, { provide: APP_FILTER, useClass: ReferenceDataExceptionFilter }],
})
export class ApiKeysModule {}
