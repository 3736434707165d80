import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  InstrumentEntity,
  MarginServiceError,
  buildMarginRequest,
  instrumentJson,
  isUuid,
  latestMarketData,
} from '@novation/persistence';
import {
  MarginError,
  computeMargin,
  maxTradeSizeForRequest,
  type MarginRequest,
  type MarginResult,
  type SideResult,
} from '@novation/risk';
import { DataSource, In, type EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { marginBreakdown } from '../accounts/margin-breakdown.js';
import { ownedAccountId } from '../collateral/owned-account.js';
import type { SimulateMarginInput } from './dto/what-if.input.js';
import type { MarginSimulation, MaxTradeSize, TradeSizeSide } from './models/what-if.model.js';
import { applyWhatIf } from './what-if-request.js';
import { WhatIfException } from './what-if.exception.js';

/**
 * Per-side cap of maxTradeSize, in quantity steps: a million lots (1,000 BTC at a 0.001 step). It bounds
 * the search (about 20 bisection steps of one margin computation each) and is reported as quantityCap.
 */
export const MAX_TRADE_SIZE_STEPS = 1_000_000;

/**
 * Margin what-ifs of the caller's own accounts. Everything runs in one READ ONLY REPEATABLE READ
 * transaction: the account's real request is built from one consistent state, and nothing can be written.
 */
@Injectable()
export class WhatIfService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async simulateMargin(
    principal: Principal,
    accountId: string,
    input: SimulateMarginInput,
    nowEpochMs: number,
  ): Promise<MarginSimulation> {
    const ownedId = await ownedAccountId(this.dataSource.manager, principal, accountId, 'accountId');
    const request = await this.readOnly(async (manager) => {
      const real = await accountRequest(manager, ownedId, nowEpochMs);
      const instrumentIds = (input.trades ?? []).map((trade) => trade.instrumentId);
      return withInstruments(manager, real, instrumentIds, nowEpochMs, (index) => `trades[${index}].instrumentId`);
    });
    const adjusted = engine(() =>
      applyWhatIf(request, {
        trades: (input.trades ?? []).map((trade) => ({
          instrumentId: trade.instrumentId.toLowerCase(),
          quantity: trade.quantity,
          price: trade.price ?? null,
        })),
        priceShocks: input.priceShocks ?? [],
        volatilityShockFraction: input.volatilityShockFraction ?? 0,
      }),
    );
    return toSimulation(
      engine(() => computeMargin(adjusted)),
      nowEpochMs,
    );
  }

  async maxTradeSize(
    principal: Principal,
    accountId: string,
    instrumentId: string,
    nowEpochMs: number,
  ): Promise<MaxTradeSize> {
    const ownedId = await ownedAccountId(this.dataSource.manager, principal, accountId, 'accountId');
    const { request, quantityStep } = await this.readOnly(async (manager) => {
      const real = await accountRequest(manager, ownedId, nowEpochMs);
      const withInstrument = await withInstruments(manager, real, [instrumentId], nowEpochMs, () => 'instrumentId');
      const row = await manager.findOneByOrFail(InstrumentEntity, { id: instrumentId.toLowerCase() });
      return { request: withInstrument, quantityStep: row.quantityStep };
    });
    const quantityCap = quantityStep.times(MAX_TRADE_SIZE_STEPS);
    const id = instrumentId.toLowerCase();
    const sized = engine(() =>
      maxTradeSizeForRequest(request, { instrumentId: id, quantityStep, quantityMax: quantityCap }),
    );
    return { instrumentId: id, quantityStep, quantityCap, buy: toSide(sized.buy), sell: toSide(sized.sell) };
  }

  private readOnly<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      await manager.query('SET TRANSACTION READ ONLY');
      return work(manager);
    });
  }
}

async function accountRequest(manager: EntityManager, accountId: string, nowEpochMs: number): Promise<MarginRequest> {
  try {
    return await buildMarginRequest(manager, accountId, nowEpochMs);
  } catch (error) {
    if (error instanceof MarginServiceError && error.code === 'MISSING_MARKET_DATA') {
      throw new WhatIfException('MISSING_MARKET_DATA', error.message, error.field);
    }
    throw error;
  }
}

/**
 * The request with every instrument of `instrumentIds` in its snapshot: instruments the account holds are
 * there already; others are added with their latest mark (and implied vol) and index price at or before
 * now, as buildMarginRequest reads them.
 */
async function withInstruments(
  manager: EntityManager,
  request: MarginRequest,
  instrumentIds: readonly string[],
  nowEpochMs: number,
  fieldOf: (index: number) => string,
): Promise<MarginRequest> {
  const snapshot = request.marketSnapshot;
  const known = new Set(snapshot.instruments.map((instrument) => instrument.id));
  const missing = new Map<string, number>();
  instrumentIds.forEach((id, index) => {
    if (!isUuid(id)) throw new WhatIfException('UNKNOWN_INSTRUMENT', 'no such instrument', fieldOf(index));
    const lower = id.toLowerCase();
    if (!known.has(lower) && !missing.has(lower)) missing.set(lower, index);
  });
  if (missing.size === 0) return request;
  const rows = await manager.findBy(InstrumentEntity, { id: In([...missing.keys()]) });
  const rowsById = new Map(rows.map((row) => [row.id, row]));
  for (const [id, index] of missing) {
    const row = rowsById.get(id);
    if (row === undefined) throw new WhatIfException('UNKNOWN_INSTRUMENT', `no instrument ${id}`, fieldOf(index));
    if (row.status !== 'active') {
      throw new WhatIfException('INVALID_SCENARIO', `instrument ${row.symbol} is ${row.status}`, fieldOf(index));
    }
    const settlementPriced =
      row.settlementAsset === request.collateral.marginAsset || snapshot.assetPrices[row.settlementAsset] !== undefined;
    if (!settlementPriced) {
      throw new WhatIfException(
        'MISSING_MARKET_DATA',
        `no price of ${row.settlementAsset} in ${request.collateral.marginAsset} for this account`,
        fieldOf(index),
      );
    }
  }
  const newUnderlyings = [...new Set(rows.map((row) => row.underlying))].filter(
    (underlying) => snapshot.underlyingPrices[underlying] === undefined,
  );
  const latest = await latestMarketData(manager, {
    instrumentIds: [...missing.keys()],
    underlyings: newUnderlyings,
    asOfEpochMs: nowEpochMs,
  });
  const markPrices = { ...snapshot.markPrices };
  const impliedVolatilities = { ...snapshot.impliedVolatilities };
  const underlyingPrices = { ...snapshot.underlyingPrices };
  for (const row of rows) {
    const index = missing.get(row.id) as number;
    const mark = latest.marks.get(row.id);
    if (mark === undefined) {
      throw new WhatIfException('MISSING_MARKET_DATA', `no mark price for ${row.symbol}`, fieldOf(index));
    }
    markPrices[row.id] = mark.price.toFixed();
    if (row.kind === 'option') {
      if (mark.impliedVolatility === null) {
        throw new WhatIfException('MISSING_MARKET_DATA', `no implied volatility for ${row.symbol}`, fieldOf(index));
      }
      impliedVolatilities[row.id] = mark.impliedVolatility;
    }
    if (underlyingPrices[row.underlying] === undefined) {
      const indexPrice = latest.indexPrices.get(row.underlying);
      if (indexPrice === undefined) {
        throw new WhatIfException('MISSING_MARKET_DATA', `no index price for ${row.underlying}`, fieldOf(index));
      }
      underlyingPrices[row.underlying] = indexPrice.price.toFixed();
    }
  }
  const instruments = [...snapshot.instruments, ...rows.map(instrumentJson)].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  return {
    ...request,
    marketSnapshot: { ...snapshot, instruments, markPrices, impliedVolatilities, underlyingPrices },
  };
}

/** Runs a computation of the risk engine, turning its refusals into typed errors. */
function engine<T>(compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    if (!(error instanceof MarginError)) throw error;
    const message = error.message.replace(/^[A-Z_]+: /, '');
    switch (error.code) {
      case 'MISSING_MARKET_DATA':
        throw new WhatIfException('MISSING_MARKET_DATA', message, error.field);
      case 'UNKNOWN_INSTRUMENT':
        throw new WhatIfException('UNKNOWN_INSTRUMENT', message, error.field);
      case 'INVALID_REQUEST':
        throw new WhatIfException('INVALID_SCENARIO', message, error.field);
      default:
        throw new WhatIfException('CANNOT_MARGIN', message, error.field);
    }
  }
}

function toSide(side: SideResult): TradeSizeSide {
  return {
    quantity: side.quantity,
    bindingConstraint: side.bindingConstraint,
    headroomAtQuantity: side.headroomAtQuantity,
  };
}

export function toSimulation(result: MarginResult, nowEpochMs: number): MarginSimulation {
  return { computedAt: new Date(nowEpochMs), ...marginBreakdown(result) };
}
