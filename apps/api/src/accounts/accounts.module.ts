import { Module } from '@nestjs/common';
import { AccountLoaderFactory } from './account.loaders.js';
import { AccountsResolver } from './accounts.resolver.js';
import { AccountsService } from './accounts.service.js';

@Module({
  providers: [AccountsService, AccountsResolver, AccountLoaderFactory],
  exports: [AccountLoaderFactory],
})
export class AccountsModule {}
