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
import { latestMarketData, type LatestMark } from '../market-data/publish-marks.js';
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
  const built = (await buildMarginRequests(manager, [accountId], nowEpochMs, options)).get(accountId);
  if (built === undefined) throw new MarginServiceError('UNKNOWN_ACCOUNT', `no account ${accountId}`);
  if (built instanceof Error) throw built;
  return built;
}

/** An account's request, or why it cannot be margined (a MarginServiceError, or the request's own validation error). */
export type BuiltMarginRequest = MarginRequest | Error;

interface AccountDraft {
  readonly account: AccountEntity;
  readonly model: MarginModelName;
  readonly positions: readonly PositionEntity[];
  readonly instruments: readonly InstrumentEntity[];
  readonly markPrices: Record<string, string>;
  readonly impliedVolatilities: Record<string, number>;
  readonly holdings: readonly { asset: string; amount: string }[];
  readonly pricedAssets: ReadonlySet<string>;
  readonly underlyingList: readonly string[];
}

/**
 * buildMarginRequest for many accounts at once, with one query per kind of data for all of them (the
 * parameter set, positions, instruments, marks, balances, index prices and return histories are each read
 * once), so a margin run over a batch of accounts reuses what they share. Each account's request is exactly
 * what buildMarginRequest gives it alone (buildMarginRequest is this function on one account). An account
 * that cannot be margined gets its error instead of a request; an unknown id is absent from the map.
 */
export async function buildMarginRequests(
  manager: EntityManager,
  accountIds: readonly string[],
  nowEpochMs: number,
  options: BuildMarginRequestOptions = {},
): Promise<Map<string, BuiltMarginRequest>> {
  assertEpochMs(nowEpochMs);
  const ids = [...new Set(accountIds)].sort(compareText);
  const built = new Map<string, BuiltMarginRequest>();
  if (ids.length === 0) return built;
  const accounts = await manager.find(AccountEntity, { where: { id: In(ids) }, order: { id: 'ASC' } });
  if (accounts.length === 0) return built;
  const members = accounts.filter((account) => {
    if (account.kind !== 'house') return true;
    built.set(account.id, new MarginServiceError('NOT_A_MEMBER_ACCOUNT', `account ${account.id} is a house account`));
    return false;
  });
  if (members.length === 0) return built;
  const parameterSet = options.parameterSet ?? (await activeParameterSet(manager, nowEpochMs));
  const { body } = parameterSet;
  const now = new Date(nowEpochMs);
  const memberIds = members.map((account) => account.id);

  const positions = await manager
    .createQueryBuilder(PositionEntity, 'position')
    .where('position.account_id IN (:...accountIds)', { accountIds: memberIds })
    .andWhere('position.quantity <> 0')
    .orderBy('position.account_id', 'ASC')
    .addOrderBy('position.instrument_id', 'ASC')
    .getMany();
  const instrumentIds = [...new Set(positions.map((position) => position.instrumentId))].sort(compareText);
  const instruments =
    instrumentIds.length === 0
      ? []
      : await manager.find(InstrumentEntity, { where: { id: In(instrumentIds) }, order: { id: 'ASC' } });
  const instrumentsById = new Map(instruments.map((instrument) => [instrument.id, instrument]));
  const { marks: marksById } = await latestMarketData(manager, {
    instrumentIds,
    underlyings: [],
    asOfEpochMs: nowEpochMs,
  });
  const balanceRows: { account_id: string; asset: string; balance: string }[] = await manager.query(
    `SELECT account_id, asset, balance::text AS balance FROM account_balance
      WHERE account_id = ANY($1::uuid[]) ORDER BY account_id, asset`,
    [memberIds],
  );
  const positionsOf = groupBy(positions, (position) => position.accountId);
  const balancesOf = groupBy(balanceRows, (row) => row.account_id);

  const drafts: AccountDraft[] = [];
  for (const account of members) {
    try {
      drafts.push(
        draftOf(account, {
          body,
          parameterSet,
          now,
          positions: positionsOf.get(account.id) ?? [],
          instrumentsById,
          marksById,
          balances: balancesOf.get(account.id) ?? [],
          holdingAdjustments: options.holdingAdjustments,
        }),
      );
    } catch (error) {
      built.set(account.id, error as Error);
    }
  }

  const underlyingList = [...new Set(drafts.flatMap((draft) => draft.underlyingList))].sort(compareText);
  const { indexPrices: latestIndexPrices } = await latestMarketData(manager, {
    instrumentIds: [],
    underlyings: underlyingList,
    asOfEpochMs: nowEpochMs,
  });
  const indexPrices = new Map([...latestIndexPrices].map(([underlying, latest]) => [underlying, latest.price]));
  const histories = new ReturnHistories(manager, body, now);
  for (const draft of drafts) {
    try {
      built.set(draft.account.id, await requestOf(draft, { body, parameterSet, nowEpochMs, indexPrices, histories }));
    } catch (error) {
      built.set(draft.account.id, error as Error);
    }
  }
  return built;
}

/** The per-account checks and collateral of a request, before index prices and return histories are read. */
function draftOf(
  account: AccountEntity,
  data: {
    readonly body: ParameterSetBody;
    readonly parameterSet: ActiveParameterSet;
    readonly now: Date;
    readonly positions: readonly PositionEntity[];
    readonly instrumentsById: ReadonlyMap<string, InstrumentEntity>;
    readonly marksById: ReadonlyMap<string, LatestMark>;
    readonly balances: readonly { asset: string; balance: string }[];
    readonly holdingAdjustments: Readonly<Record<string, Decimal>> | undefined;
  },
): AccountDraft {
  const { body, now } = data;
  const model = modelForAccountKind(body, account.kind as Exclude<AccountKind, 'house'>);
  const marginAsset = account.settlementAsset;
  const instruments = data.positions
    .map((position) => data.instrumentsById.get(position.instrumentId))
    .filter((instrument): instrument is InstrumentEntity => instrument !== undefined);
  const markPrices: Record<string, string> = {};
  const impliedVolatilities: Record<string, number> = {};
  for (const instrument of instruments) {
    const mark = data.marksById.get(instrument.id);
    if (mark === undefined) {
      throw new MarginServiceError(
        'MISSING_MARKET_DATA',
        `no mark price for instrument ${instrument.symbol} (${instrument.id}) at ${now.toISOString()}`,
        `markPrices.${instrument.id}`,
      );
    }
    markPrices[instrument.id] = mark.price.toFixed();
    if (instrument.kind === 'option') {
      if (mark.impliedVolatility === null) {
        throw new MarginServiceError(
          'MISSING_MARKET_DATA',
          `no implied volatility for option ${instrument.symbol} (${instrument.id})`,
          `impliedVolatilities.${instrument.id}`,
        );
      }
      impliedVolatilities[instrument.id] = mark.impliedVolatility;
    }
  }

  const amounts = new Map<string, Decimal>(data.balances.map((row) => [row.asset, new Decimal(row.balance)]));
  for (const [asset, adjustment] of Object.entries(data.holdingAdjustments ?? {})) {
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
  const assetsNeedingUsd = pricedAssets.size === 0 ? [] : [...pricedAssets, marginAsset];
  for (const asset of assetsNeedingUsd) {
    if (!usdAssets.has(asset) && body.assetIndex[asset] === undefined) {
      throw new MarginServiceError(
        'MISSING_MARKET_DATA',
        `parameter set ${data.parameterSet.version} does not say how to price ${asset} (no assetIndex entry)`,
        `assetIndex.${asset}`,
      );
    }
  }
  const underlyings = new Set<string>(instruments.map((instrument) => instrument.underlying));
  for (const asset of assetsNeedingUsd) {
    const index = usdAssets.has(asset) ? undefined : body.assetIndex[asset];
    if (index !== undefined) underlyings.add(index);
  }
  return {
    account,
    model,
    positions: data.positions,
    instruments,
    markPrices,
    impliedVolatilities,
    holdings,
    pricedAssets,
    underlyingList: [...underlyings].sort(compareText),
  };
}

/** A draft completed with its index prices, asset prices and return histories, parsed as a request. */
async function requestOf(
  draft: AccountDraft,
  shared: {
    readonly body: ParameterSetBody;
    readonly parameterSet: ActiveParameterSet;
    readonly nowEpochMs: number;
    readonly indexPrices: ReadonlyMap<string, Decimal>;
    readonly histories: ReturnHistories;
  },
): Promise<MarginRequest> {
  const { body, indexPrices, nowEpochMs } = shared;
  const now = new Date(nowEpochMs);
  const marginAsset = draft.account.settlementAsset;
  const underlyingPrices: Record<string, string> = {};
  for (const underlying of draft.underlyingList) {
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
  const usdAssets = new Set(body.usdAssets);
  const usdPrice = (asset: string): Decimal => {
    const index = usdAssets.has(asset) ? undefined : body.assetIndex[asset];
    return index === undefined ? new Decimal(1) : (indexPrices.get(index) as Decimal);
  };
  const assetPrices: Record<string, string> = {};
  for (const asset of [...draft.pricedAssets].sort(compareText)) {
    const price = usdPrice(asset)
      .dividedBy(usdPrice(marginAsset))
      .toDecimalPlaces(DERIVED_PRICE_SCALE, Decimal.ROUND_DOWN);
    if (price.isZero()) {
      throw new MarginServiceError('MISSING_MARKET_DATA', `price of ${asset} in ${marginAsset} rounds to zero`);
    }
    assetPrices[asset] = price.toFixed();
  }

  const returnHistories = draft.model === 'historical-es' ? await shared.histories.of(draft.instruments) : {};

  const raw = {
    model: draft.model,
    parameterSetVersion: shared.parameterSet.version,
    parameters: body.parameters,
    positions: draft.positions.map((position) => ({
      instrumentId: position.instrumentId,
      quantity: position.quantity.toFixed(),
      ...(position.averageEntryPrice === null ? {} : { averageEntryPrice: position.averageEntryPrice.toFixed() }),
    })),
    collateral: { marginAsset, holdings: draft.holdings },
    marketSnapshot: {
      valuationEpochMs: nowEpochMs,
      riskFreeRate: body.riskFreeRate,
      instruments: draft.instruments.map(instrumentJson),
      underlyingPrices,
      markPrices: draft.markPrices,
      impliedVolatilities: draft.impliedVolatilities,
      assetPrices,
      ...returnHistories,
    },
  };
  return parseMarginRequest(raw);
}

interface UnderlyingHistory {
  readonly returns: number[];
  readonly stressed: number[] | undefined;
}

/** Return histories per underlying, read once per batch and shared by every account that needs them. */
class ReturnHistories {
  private readonly loaded = new Map<string, Promise<UnderlyingHistory | null>>();

  constructor(
    private readonly manager: EntityManager,
    private readonly body: ParameterSetBody,
    private readonly now: Date,
  ) {}

  async of(
    instruments: readonly InstrumentEntity[],
  ): Promise<{ returnHistory?: Record<string, number[]>; stressedReturnHistory?: Record<string, number[]> }> {
    const parameters = this.body.parameters.historicalEs;
    if (parameters === undefined) return {};
    const stressed = parameters.antiProcyclicality.kind === 'stress-period-floor';
    const underlyings = [...new Set(instruments.map((instrument) => instrument.underlying))].sort(compareText);
    const returnHistory: Record<string, number[]> = {};
    const stressedReturnHistory: Record<string, number[]> = {};
    for (const underlying of underlyings) {
      let history = this.loaded.get(underlying);
      if (history === undefined) {
        history = returnHistoryOf(this.manager, this.body, underlying, this.now);
        this.loaded.set(underlying, history);
      }
      const found = await history;
      if (found === null) {
        throw new MarginServiceError(
          'MISSING_MARKET_DATA',
          `no return history for ${underlying}`,
          `returnHistory.${underlying}`,
        );
      }
      returnHistory[underlying] = found.returns;
      if (found.stressed !== undefined) stressedReturnHistory[underlying] = found.stressed;
    }
    return stressed ? { returnHistory, stressedReturnHistory } : { returnHistory };
  }
}

/** One underlying's daily log returns for the look-back (and its stress period, if floored); null: none stored. */
async function returnHistoryOf(
  manager: EntityManager,
  body: ParameterSetBody,
  underlying: string,
  now: Date,
): Promise<UnderlyingHistory | null> {
  const parameters = body.parameters.historicalEs;
  if (parameters === undefined) return null;
  // Daily returns the model consumes: the look-back, plus h - 1 for overlapping h-day windows, plus the
  // EWMA seed window (see scenarioLogReturns in the risk lib).
  const horizonExtra = parameters.horizonMethod === 'overlapping' ? parameters.marginPeriodOfRiskDays - 1 : 0;
  const seedDays = parameters.filtering.kind === 'ewma' ? (parameters.filtering.seedWindowDays ?? 0) : 0;
  const lookback = Math.min(
    parameters.lookbackDays + horizonExtra + seedDays,
    MARGIN_REQUEST_LIMITS.returnHistoryLengthMax,
  );
  const rows: { log_return: number }[] = await manager.query(
    `SELECT log_return FROM (
       SELECT day, log_return FROM underlying_return
        WHERE underlying = $1 AND stressed_period = false AND day <= ($2::timestamptz AT TIME ZONE 'UTC')::date
        ORDER BY day DESC LIMIT $3) recent ORDER BY day ASC`,
    [underlying, now, lookback],
  );
  if (rows.length === 0) return null;
  if (parameters.antiProcyclicality.kind !== 'stress-period-floor') {
    return { returns: rows.map((row) => Number(row.log_return)), stressed: undefined };
  }
  const stressedRows: { log_return: number }[] = await manager.query(
    `SELECT log_return FROM underlying_return WHERE underlying = $1 AND stressed_period = true ORDER BY day ASC LIMIT $2`,
    [underlying, MARGIN_REQUEST_LIMITS.returnHistoryLengthMax],
  );
  return {
    returns: rows.map((row) => Number(row.log_return)),
    stressed: stressedRows.map((row) => Number(row.log_return)),
  };
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

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}
