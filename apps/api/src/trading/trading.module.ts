import { Module } from '@nestjs/common';
import { TradingResolver } from './trading.resolver.js';
import { TradingService } from './trading.service.js';

@Module({ providers: [TradingService, TradingResolver] })
export class TradingModule {}
