import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module.js';
import { AssetsController } from './assets.controller.js';
import { AssetsService } from './assets.service.js';
import { InstrumentsController } from './instruments.controller.js';
import { InstrumentsService } from './instruments.service.js';
import { MemberFirmsController } from './member-firms.controller.js';
import { MemberFirmsService } from './member-firms.service.js';
import { ReferenceDataExceptionFilter } from './reference-data-exception.filter.js';

/** Instruments, assets, member firms and accounts. */
@Module({
  imports: [AuditModule],
  controllers: [InstrumentsController, AssetsController, MemberFirmsController],
  providers: [
    InstrumentsService,
    AssetsService,
    MemberFirmsService,
    { provide: APP_FILTER, useClass: ReferenceDataExceptionFilter },
  ],
})
export class ReferenceModule {}
