import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module.js';
import { ParameterSetExceptionFilter } from './parameter-set-exception.filter.js';
import { ParametersController } from './parameters.controller.js';
import { ParametersService } from './parameters.service.js';

@Module({
  imports: [AuditModule],
  controllers: [ParametersController],
  providers: [ParametersService, { provide: APP_FILTER, useClass: ParameterSetExceptionFilter }],
})
export class ParametersModule {}
