import { Module } from '@nestjs/common';
import { ReadModelModule } from '../common/read-model/read-model.module.js';
import { AccountLoaderFactory } from './account.loaders.js';
import { AccountsResolver } from './accounts.resolver.js';
import { AccountsService } from './accounts.service.js';

@Module({
  imports: [ReadModelModule],
  providers: [AccountsService, AccountsResolver, AccountLoaderFactory],
  exports: [AccountLoaderFactory],
})
export class AccountsModule {}
