import { toDomainInstrument } from '../instrument-mapping.js';
import { Decimal } from '@novation/money';
import {
  MARGIN_REQUEST_LIMITS,
  parseMarginRequest,
  type MarginModelName,
  type MarginRequest,
  type MarginRequestInstrument,
} from '@novation/risk';
import { In, type EntityManager } from 'typeorm';
import { PositionEntity } from '../entities/clearing.entity.js';
import { AccountEntity, type AccountKind } from '../entities/membership.entity.js';
import { InstrumentEntity } from '../entities/reference-data.entity.js';
import { MarginServiceError, assertEpochMs } from './margin-service-error.js';
import { activeParameterSet, type ActiveParameterSet, type ParameterSetBody } from './parameter-set-body.js';

/** Decimal places of an asset price derived by division (rounded down: collateral is never over-valued). */
const DERIVED_PRICE_SCALE = 18;

export interface BuildMarginRequestOptions {
  /**
   * Signed amounts added to the account's balances before margining, e.g. `{ USDC: -1000 }` to margin the
   * account as if 1000 USDC had been withdrawn (the withdrawal check). Not written anywhere.
   */
  readonly holdingAdjustments?: Readonly<Record<string, Decimal>>;
  /** The parameter set to use; read with `activeParameterSet` when absent. */
  readonly parameterSet?: ActiveParameterSet;
}

/** The margin model an account kind is margined with under a parameter set. */
export function modelForAccountKind(body: ParameterSetBody, kind: Exclude<AccountKind, 'house'>): MarginModelName {
  return body.models[kind];
}

/**
 * The margin request of an account from database state at `nowEpochMs`: its non-zero positions, their
 * instruments, the latest mark price (and implied vol) per instrument and index price per underlying
 * observed at or before now, its balances as collateral, the price of every other asset it holds or
 * settles in (through the parameter set's asset index), and the return history for historical ES.
 * Everything is sorted by id, so the same state always gives the same request and inputs hash.
 * Run it inside the transaction that holds the account's lock to margin a consistent state.
 */
export async function buildMarginRequest(
  manager: EntityManager,
  accountId: string,
  nowEpochMs: number,
  options: BuildMarginRequestOptions = {},
): Promise<MarginRequest> {
  assertEpochMs(nowEpochMs);
  const account = await manager.findOneBy(AccountEntity, { id: accountId });
  if (account === null) throw new MarginServiceError('UNKNOWN_ACCOUNT', `no account ${accountId}`);
  if (account.kind === 'house') {
    throw new MarginServiceError('NOT_A_MEMBER_ACCOUNT', `account ${accountId} is a house account`);
  }
  const parameterSet = options.parameterSet ?? (await activeParameterSet(manager, nowEpochMs));
  const { body } = parameterSet;
  const model = modelForAccountKind(body, account.kind);
  const marginAsset = account.settlementAsset;
  const now = new Date(nowEpochMs);

  const positions = await manager
    .createQueryBuilder(PositionEntity, 'position')
    .where('position.account_id = :accountId', { accountId })
    .andWhere('position.quantity <> 0')
    .orderBy('position.instrument_id', 'ASC')
    .getMany();
  const instrumentIds = positions.map((position) => position.instrumentId);
  const instruments =
    instrumentIds.length === 0
      ? []
      : await manager.find(InstrumentEntity, { where: { id: In(instrumentIds) }, order: { id: 'ASC' } });

  const marks: { instrument_id: string; price: string; implied_volatility: number | null }[] =
    instrumentIds.length === 0
      ? []
      : await manager.query(
          `SELECT DISTINCT ON (instrument_id) instrument_id, price::text AS price, implied_volatility
             FROM mark_price WHERE instrument_id = ANY($1::uuid[]) AND observed_at <= $2
            ORDER BY instrument_id, observed_at DESC, id DESC`,
          [instrumentIds, now],
        );
  const markPrices: Record<string, string> = {};
  const impliedVolatilities: Record<string, number> = {};
  const marksById = new Map(marks.map((mark) => [mark.instrument_id, mark]));
  for (const instrument of instruments) {
    const mark = marksById.get(instrument.id);
    if (mark === undefined) {
      throw new MarginServiceError(
        'MISSING_MARKET_DATA',
        `no mark price for instrument ${instrument.symbol} (${instrument.id}) at ${now.toISOString()}`,
        `markPrices.${instrument.id}`,
      );
    }
    markPrices[instrument.id] = new Decimal(mark.price).toFixed();
    if (instrument.kind === 'option') {
      if (mark.implied_volatility === null) {
        throw new MarginServiceError(
          'MISSING_MARKET_DATA',
          `no implied volatility for option ${instrument.symbol} (${instrument.id})`,
          `impliedVolatilities.${instrument.id}`,
        );
      }
      impliedVolatilities[instrument.id] = Number(mark.implied_volatility);
    }
  }

  const balances: { asset: string; balance: string }[] = await manager.query(
    `SELECT asset, balance::text AS balance FROM account_balance WHERE account_id = $1 ORDER BY asset`,
    [accountId],
  );
  const amounts = new Map<string, Decimal>(balances.map((row) => [row.asset, new Decimal(row.balance)]));
  for (const [asset, adjustment] of Object.entries(options.holdingAdjustments ?? {})) {
    amounts.set(asset, (amounts.get(asset) ?? new Decimal(0)).plus(adjustment));
  }
  const holdings = [...amounts.entries()]
    .filter(([, amount]) => !amount.isZero())
    .sort(([a], [b]) => compareText(a, b))
    .map(([asset, amount]) => ({ asset, amount: amount.toFixed() }));

  // Assets that need a price in the margin asset: every other asset held or settled in.
  const pricedAssets = new Set<string>();
  for (const holding of holdings) if (holding.asset !== marginAsset) pricedAssets.add(holding.asset);
  for (const instrument of instruments) {
    if (instrument.settlementAsset !== marginAsset) pricedAssets.add(instrument.settlementAsset);
  }
  const usdAssets = new Set(body.usdAssets);
  const indexFor = (asset: string): string | undefined => (usdAssets.has(asset) ? undefined : body.assetIndex[asset]);
  const assetsNeedingUsd = pricedAssets.size === 0 ? [] : [...pricedAssets, marginAsset];
  for (const asset of assetsNeedingUsd) {
    if (!usdAssets.has(asset) && body.assetIndex[asset] === undefined) {
      throw new MarginServiceError(
        'MISSING_MARKET_DATA',
        `parameter set ${parameterSet.version} does not say how to price ${asset} (no assetIndex entry)`,
        `assetIndex.${asset}`,
      );
    }
  }
  const underlyings = new Set<string>(instruments.map((instrument) => instrument.underlying));
  for (const asset of assetsNeedingUsd) {
    const index = indexFor(asset);
    if (index !== undefined) underlyings.add(index);
  }
  const underlyingList = [...underlyings].sort(compareText);
  const indexRows: { underlying: string; price: string }[] =
    underlyingList.length === 0
      ? []
      : await manager.query(
          `SELECT DISTINCT ON (underlying) underlying, price::text AS price
             FROM index_price WHERE underlying = ANY($1::varchar[]) AND observed_at <= $2
            ORDER BY underlying, observed_at DESC, id DESC`,
          [underlyingList, now],
        );
  const indexPrices = new Map(indexRows.map((row) => [row.underlying, new Decimal(row.price)]));
  const underlyingPrices: Record<string, string> = {};
  for (const underlying of underlyingList) {
    const price = indexPrices.get(underlying);
    if (price === undefined) {
      throw new MarginServiceError(
        'MISSING_MARKET_DATA',
        `no index price for ${underlying} at ${now.toISOString()}`,
        `underlyingPrices.${underlying}`,
      );
    }
    underlyingPrices[underlying] = price.toFixed();
  }
  const usdPrice = (asset: string): Decimal => {
    const index = indexFor(asset);
    return index === undefined ? new Decimal(1) : (indexPrices.get(index) as Decimal);
  };
  const assetPrices: Record<string, string> = {};
  for (const asset of [...pricedAssets].sort(compareText)) {
    const price = usdPrice(asset)
      .dividedBy(usdPrice(marginAsset))
      .toDecimalPlaces(DERIVED_PRICE_SCALE, Decimal.ROUND_DOWN);
    if (price.isZero()) {
      throw new MarginServiceError('MISSING_MARKET_DATA', `price of ${asset} in ${marginAsset} rounds to zero`);
    }
    assetPrices[asset] = price.toFixed();
  }

  const returnHistories = model === 'historical-es' ? await returnHistoryOf(manager, body, instruments, now) : {};

  const raw = {
    model,
    parameterSetVersion: parameterSet.version,
    parameters: body.parameters,
    positions: positions.map((position) => ({
      instrumentId: position.instrumentId,
      quantity: position.quantity.toFixed(),
      ...(position.averageEntryPrice === null ? {} : { averageEntryPrice: position.averageEntryPrice.toFixed() }),
    })),
    collateral: { marginAsset, holdings },
    marketSnapshot: {
      valuationEpochMs: nowEpochMs,
      riskFreeRate: body.riskFreeRate,
      instruments: instruments.map(instrumentJson),
      underlyingPrices,
      markPrices,
      impliedVolatilities,
      assetPrices,
      ...returnHistories,
    },
  };
  return parseMarginRequest(raw);
}

async function returnHistoryOf(
  manager: EntityManager,
  body: ParameterSetBody,
  instruments: readonly InstrumentEntity[],
  now: Date,
): Promise<{ returnHistory?: Record<string, number[]>; stressedReturnHistory?: Record<string, number[]> }> {
  const parameters = body.parameters.historicalEs;
  if (parameters === undefined) return {};
  // Daily returns the model consumes: the look-back, plus h - 1 for overlapping h-day windows, plus the
  // EWMA seed window (see scenarioLogReturns in the risk lib).
  const horizonExtra = parameters.horizonMethod === 'overlapping' ? parameters.marginPeriodOfRiskDays - 1 : 0;
  const seedDays = parameters.filtering.kind === 'ewma' ? (parameters.filtering.seedWindowDays ?? 0) : 0;
  const lookback = Math.min(
    parameters.lookbackDays + horizonExtra + seedDays,
    MARGIN_REQUEST_LIMITS.returnHistoryLengthMax,
  );
  const underlyings = [...new Set(instruments.map((instrument) => instrument.underlying))].sort(compareText);
  const returnHistory: Record<string, number[]> = {};
  const stressedReturnHistory: Record<string, number[]> = {};
  const stressed = parameters.antiProcyclicality.kind === 'stress-period-floor';
  for (const underlying of underlyings) {
    const rows: { log_return: number }[] = await manager.query(
      `SELECT log_return FROM (
         SELECT day, log_return FROM underlying_return
          WHERE underlying = $1 AND stressed_period = false AND day <= ($2::timestamptz AT TIME ZONE 'UTC')::date
          ORDER BY day DESC LIMIT $3) recent ORDER BY day ASC`,
      [underlying, now, lookback],
    );
    if (rows.length === 0) {
      throw new MarginServiceError(
        'MISSING_MARKET_DATA',
        `no return history for ${underlying}`,
        `returnHistory.${underlying}`,
      );
    }
    returnHistory[underlying] = rows.map((row) => Number(row.log_return));
    if (stressed) {
      const stressedRows: { log_return: number }[] = await manager.query(
        `SELECT log_return FROM underlying_return WHERE underlying = $1 AND stressed_period = true ORDER BY day ASC LIMIT $2`,
        [underlying, MARGIN_REQUEST_LIMITS.returnHistoryLengthMax],
      );
      stressedReturnHistory[underlying] = stressedRows.map((row) => Number(row.log_return));
    }
  }
  return stressed ? { returnHistory, stressedReturnHistory } : { returnHistory };
}

/** An instrument row in the JSON form of a margin request (id = the row's uuid). */
export function instrumentJson(row: InstrumentEntity): MarginRequestInstrument {
  const instrument = toDomainInstrument(row);
  const base = {
    id: instrument.id,
    underlying: instrument.underlying,
    quoteAsset: instrument.quoteAsset,
    settlementAsset: instrument.settlementAsset,
    contractSize: instrument.contractSize.toFixed(),
  };
  switch (instrument.kind) {
    case 'spot':
    case 'linear_perpetual':
    case 'inverse_perpetual':
      return { kind: instrument.kind, ...base };
    case 'linear_future':
    case 'inverse_future':
      return { kind: instrument.kind, ...base, expiryEpochMs: instrument.expiryEpochMs };
    case 'european_option':
      return {
        kind: 'european_option',
        ...base,
        settlement: instrument.settlement,
        underlyingReference: instrument.underlyingReference,
        optionType: instrument.optionType,
        strikePrice: instrument.strikePrice.toFixed(),
        expiryEpochMs: instrument.expiryEpochMs,
      };
  }
}

/** Code-unit order: the same on every machine, whatever its locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
