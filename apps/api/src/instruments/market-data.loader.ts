import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { latestMarketData } from '@novation/persistence';
import DataLoader from 'dataloader';
import { DataSource } from 'typeorm';
import type { MarketData } from './models/market-data.model.js';

/** What the market data of an instrument needs: its id (the mark) and its underlying (the index price). */
export interface MarketDataKey {
  readonly instrumentId: string;
  readonly underlying: string;
}

/** Most instruments per batch: a page is at most 100, so one batch per page. */
const BATCH_KEYS_MAX = 100;

/**
 * Per-request DataLoaders of `Instrument.marketData`: a page of instruments costs two queries (latest marks,
 * latest index prices; see latestMarketData), whatever its size. Loaders are keyed by the request's GraphQL
 * context object in a WeakMap, so they live exactly as long as the request and nothing is shared between
 * callers (the context type belongs to the accounts loaders; this adds none of its own fields).
 */
@Injectable()
export class MarketDataLoaderFactory {
  private readonly perRequest = new WeakMap<object, DataLoader<MarketDataKey, MarketData, string>>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  forRequest(context: object): DataLoader<MarketDataKey, MarketData, string> {
    const existing = this.perRequest.get(context);
    if (existing !== undefined) return existing;
    const loader = new DataLoader<MarketDataKey, MarketData, string>((keys) => this.load(keys), {
      maxBatchSize: BATCH_KEYS_MAX,
      cacheKeyFn: (key) => key.instrumentId,
    });
    this.perRequest.set(context, loader);
    return loader;
  }

  private async load(keys: readonly MarketDataKey[]): Promise<MarketData[]> {
    const latest = await latestMarketData(this.dataSource.manager, {
      instrumentIds: keys.map((key) => key.instrumentId),
      underlyings: [...new Set(keys.map((key) => key.underlying))],
    });
    return keys.map(({ instrumentId, underlying }) => {
      const mark = latest.marks.get(instrumentId);
      const index = latest.indexPrices.get(underlying);
      return {
        instrumentId,
        mark:
          mark === undefined
            ? null
            : { price: mark.price, impliedVolatility: mark.impliedVolatility, observedAt: mark.observedAt },
        index:
          index === undefined
            ? null
            : { underlying: index.underlying, price: index.price, observedAt: index.observedAt },
      };
    });
  }
}
