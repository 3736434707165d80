import { Module } from '@nestjs/common';
import { InstrumentsResolver } from './instruments.resolver.js';
import { InstrumentsService } from './instruments.service.js';
import { MarketDataLoaderFactory } from './market-data.loader.js';

@Module({ providers: [InstrumentsService, InstrumentsResolver, MarketDataLoaderFactory] })
export class InstrumentsModule {}
