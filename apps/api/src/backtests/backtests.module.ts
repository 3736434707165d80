import { Module } from '@nestjs/common';
import { BacktestsResolver } from './backtests.resolver.js';
import { BacktestsService } from './backtests.service.js';

@Module({ providers: [BacktestsService, BacktestsResolver] })
export class BacktestsModule {}
