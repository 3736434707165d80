import { Module } from '@nestjs/common';
import { OperationsModule } from '@novation/platform';
import { SystemResolver } from './system.resolver.js';
import { SystemService } from './system.service.js';

@Module({
  imports: [OperationsModule],
  providers: [SystemResolver, SystemService],
})
export class SystemModule {}
