import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  MarketDataError,
  TradeSubmissionError,
  publishMarketDataAndRecordChecks,
  submitTrades,
  type MarketDataItemResult as StoredItemResult,
  type TradeBatchResult,
} from '@novation/persistence';
import { DataSource } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import type { PublishMarksInput } from './dto/publish-marks.input.js';
import type { SubmitTradesInput } from './dto/submit-trades.input.js';
import { MARK_BAND_FRACTION, MARK_MAX_AGE_MS, MARK_MAX_FUTURE_SKEW_MS } from './market-data-policy.js';
import type { MarketDataItemResult, PublishMarksResult, SubmitTradesResult } from './models/trading-results.model.js';
import { TradingException } from './trading.exception.js';

/**
 * The venue mutations. The venue is always the one of the caller's API key: trades of another venue are
 * rejected per trade (VENUE_MISMATCH) by the clearing service, and marks of another venue's instruments
 * per item (INSTRUMENT_NOT_LISTED). Index prices are shared by every instrument on an underlying, so a
 * venue may only publish them for underlyings it lists itself (UNDERLYING_NOT_LISTED otherwise).
 */
@Injectable()
export class TradingService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async submitTrades(principal: Principal, input: SubmitTradesInput, nowEpochMs: number): Promise<SubmitTradesResult> {
    const venueId = venueOf(principal);
    const trades = input.trades.map((trade) => ({
      venueId,
      tradeId: trade.venueTradeId,
      instrumentId: trade.instrumentId,
      buyerAccountId: trade.buyerAccountId,
      sellerAccountId: trade.sellerAccountId,
      quantity: trade.quantity.toFixed(),
      price: trade.price.toFixed(),
      buyerFee: trade.buyerFee.toFixed(),
      sellerFee: trade.sellerFee.toFixed(),
      executedAtEpochMs: trade.executedAt.getTime(),
    }));
    let result: TradeBatchResult;
    try {
      result = await submitTrades(this.dataSource, { venueId, trades, mode: input.mode, nowEpochMs });
    } catch (error) {
      throw translateSubmissionError(error);
    }
    return {
      mode: result.mode,
      trades: result.trades.map((outcome) => ({
        venueTradeId: outcome.venueTradeId,
        status: outcome.status,
        tradeId: outcome.tradeId ?? null,
        error: outcome.error === undefined ? null : { ...outcome.error },
      })),
      novatedCount: result.counts.novated,
      duplicateCount: result.counts.duplicate,
      rejectedCount: result.counts.rejected,
    };
  }

  async publishMarks(principal: Principal, input: PublishMarksInput, nowEpochMs: number): Promise<PublishMarksResult> {
    const venueId = venueOf(principal);
    const indexInputs = input.indexPrices ?? [];
    const markInputs = input.markPrices ?? [];
    const listed = await this.listedUnderlyings(
      venueId,
      indexInputs.map((item) => item.underlying),
    );
    // Index prices of underlyings the venue does not list are refused here; the others keep their input
    // position so that every result (and error field) names the caller's own index.
    const forwarded = indexInputs.flatMap((item, index) => (listed.has(item.underlying) ? [{ item, index }] : []));
    let stored;
    try {
      // The accepted prices and the margin checks they trigger (outbox) commit in one transaction.
      stored = await publishMarketDataAndRecordChecks(
        this.dataSource,
        {
          source: `venue:${venueId}`,
          venueId,
          indexPrices: forwarded.map(({ item }) => ({
            underlying: item.underlying,
            price: item.price.toFixed(),
            observedAtEpochMs: item.observedAt.getTime(),
          })),
          markPrices: markInputs.map((item) => ({
            instrumentId: item.instrumentId,
            price: item.price.toFixed(),
            ...(item.impliedVolatility === undefined || item.impliedVolatility === null
              ? {}
              : { impliedVolatility: item.impliedVolatility }),
            observedAtEpochMs: item.observedAt.getTime(),
          })),
        },
        {
          nowEpochMs,
          maxAgeMs: MARK_MAX_AGE_MS,
          maxFutureSkewMs: MARK_MAX_FUTURE_SKEW_MS,
          bandFraction: MARK_BAND_FRACTION,
        },
      );
    } catch (error) {
      if (error instanceof MarketDataError && error.code === 'TOO_MANY_ITEMS') {
        throw new TradingException('BATCH_TOO_LARGE', 'too many prices in one call', 'input');
      }
      throw error;
    }
    const indexPrices: MarketDataItemResult[] = indexInputs.map((item, index) => ({
      accepted: false,
      error: {
        code: 'UNDERLYING_NOT_LISTED',
        field: `indexPrices[${index}].underlying`,
        message: `${item.underlying.slice(0, 32)} is not the underlying of an instrument of the publishing venue`,
      },
    }));
    forwarded.forEach(({ index }, forwardedIndex) => {
      indexPrices[index] = toItemResult(stored.indexPrices[forwardedIndex], `indexPrices[${forwardedIndex}]`, index);
    });
    const markPrices = stored.markPrices.map((result) => toItemResult(result, null, 0));
    const acceptedCount = stored.acceptedCount;
    return {
      indexPrices,
      markPrices,
      acceptedCount,
      rejectedCount: indexPrices.length + markPrices.length - acceptedCount,
    };
  }

  private async listedUnderlyings(venueId: string, underlyings: readonly string[]): Promise<Set<string>> {
    if (underlyings.length === 0) return new Set();
    const rows: { underlying: string }[] = await this.dataSource.query(
      `SELECT DISTINCT underlying FROM instrument WHERE venue_id = $1 AND underlying = ANY($2::varchar[])`,
      [venueId, [...new Set(underlyings)]],
    );
    return new Set(rows.map((row) => row.underlying));
  }
}

function venueOf(principal: Principal): string {
  if (principal.venueId === null) throw new TradingException('NOT_A_VENUE_KEY', 'this API key belongs to no venue');
  return principal.venueId;
}

/** A stored result; `forwardedPrefix` (when the item was renumbered) is rewritten to the caller's index. */
function toItemResult(
  result: StoredItemResult | undefined,
  forwardedPrefix: string | null,
  index: number,
): MarketDataItemResult {
  if (result === undefined) throw new Error('publishMarketData returned fewer results than items');
  if (result.error === undefined) return { accepted: result.accepted, error: null };
  const field =
    forwardedPrefix !== null && result.error.field.startsWith(forwardedPrefix)
      ? `indexPrices[${index}]${result.error.field.slice(forwardedPrefix.length)}`
      : result.error.field;
  return { accepted: result.accepted, error: { code: result.error.code, field, message: result.error.message } };
}

function translateSubmissionError(error: unknown): unknown {
  if (!(error instanceof TradeSubmissionError)) return error;
  switch (error.code) {
    case 'BATCH_TOO_LARGE':
      return new TradingException('BATCH_TOO_LARGE', error.message, 'trades');
    case 'INVALID_BATCH':
      return new TradingException('INVALID_BATCH', error.message, 'input');
    case 'UNKNOWN_VENUE':
      // The key's venue comes from the key store: a missing venue is a server fault, not the caller's.
      return error;
  }
}
