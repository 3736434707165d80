import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module.js';
import { QueuesModule } from '../queues/queues.module.js';
import { ReportExceptionFilter } from './report-exception.filter.js';
import { ReportsController } from './reports.controller.js';
import { ReportsService } from './reports.service.js';

@Module({
  imports: [AuditModule, QueuesModule],
  controllers: [ReportsController],
  providers: [ReportsService, { provide: APP_FILTER, useClass: ReportExceptionFilter }],
})
export class ReportsModule {}
