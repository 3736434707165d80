import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module.js';
import { ReferenceDataExceptionFilter } from '../reference/reference-data-exception.filter.js';
import { DefaultResourcesController } from './default-resources.controller.js';
import { DefaultResourcesService } from './default-resources.service.js';

/** Insurance fund and default fund: balances, member contributions and requirements, top-ups. */
@Module({
  imports: [AuditModule],
  controllers: [DefaultResourcesController],
  providers: [DefaultResourcesService, { provide: APP_FILTER, useClass: ReferenceDataExceptionFilter }],
})
export class DefaultResourcesModule {}
