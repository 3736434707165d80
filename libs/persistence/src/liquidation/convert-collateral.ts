import { collateralConversionEntry, conversionPriceOf, type CollateralConversion } from '@novation/clearing';
import { Decimal, ONE } from '@novation/money';
import type { EntityManager } from 'typeorm';
import type { AccountEntity } from '../entities/membership.entity.js';
import { postJournalEntry, type JournalEntryDraft } from '../ledger.js';
import { DEFAULT_LIQUIDATION_PARAMETERS, type ActiveParameterSet } from '../margin/parameter-set-body.js';
import { LiquidationError } from './liquidation-error.js';
import { latestMarketData } from '../market-data/publish-marks.js';
import { assetScales, houseAccountId } from './liquidation-store.js';

/**
 * The oldest index price a collateral conversion may use by default (the parameter set's
 * liquidation.conversionPriceAgeMsMax default): the API's MARK_MAX_AGE_MS (apps/api market-data-policy.ts),
 * beyond which a venue's price is refused as stale. Converting at an older price would sell the member's
 * collateral on old news. A risk officer sets another bound in the parameter set (a market replayed on a
 * simulated clock does, as it passes its own policy to publishMarketData).
 */
export const CONVERSION_PRICE_AGE_MS_MAX = DEFAULT_LIQUIDATION_PARAMETERS.conversionPriceAgeMsMax;

/** Most assets one account's conversion handles: bounds the step's work (an account holds a few). */
export const CONVERTED_ASSETS_MAX = 100;

export interface CollateralConversionRequest {
  readonly account: AccountEntity;
  readonly parameterSet: ActiveParameterSet;
  /** The step's key: the conversion is that step's journal entry. */
  readonly idempotencyKey: string;
  readonly nowEpochMs: number;
  readonly priceAgeMsMax: number;
  /**
   * The account's other-asset balances (accountBalances) when the caller read them in this transaction
   * with no posting since; read here otherwise.
   */
  readonly otherBalances?: ReadonlyMap<string, Decimal>;
}

/** The index a conversion priced an asset with, as stored in the step details. */
interface IndexObservation {
  readonly underlying: string;
  readonly price: string;
  readonly observedAt: string;
}

export type CollateralConversionOutcome =
  | { readonly status: 'nothing' }
  /** No price, or a stale one, for at least one asset: nothing was converted (never at a guessed price). */
  | { readonly status: 'refused'; readonly refusals: readonly { asset: string; reason: string }[] }
  | {
      readonly status: 'converted';
      readonly journalEntryId: string;
      readonly conversions: readonly CollateralConversion[];
      readonly penalty: Decimal;
      readonly indexes: readonly IndexObservation[];
    };

export interface AccountBalances {
  /** The settlement asset's balance (0 without postings). */
  readonly settlement: Decimal;
  /** The non-zero balances in other assets, by asset. */
  readonly others: ReadonlyMap<string, Decimal>;
}

/** The account's settlement balance and its non-zero balances in other assets, in one statement. */
export async function accountBalances(manager: EntityManager, account: AccountEntity): Promise<AccountBalances> {
  // At most one row is the settlement asset's: more rows than CONVERTED_ASSETS_MAX + 1 means too many others.
  const rows: { asset: string; balance: string }[] = await manager.query(
    `SELECT asset, balance::text AS balance FROM account_balance
      WHERE account_id = $1 AND (asset = $2 OR balance <> 0) ORDER BY asset LIMIT $3`,
    [account.id, account.settlementAsset, CONVERTED_ASSETS_MAX + 2],
  );
  const others = new Map<string, Decimal>();
  let settlement = new Decimal(0);
  for (const row of rows) {
    if (row.asset === account.settlementAsset) settlement = new Decimal(row.balance);
    else others.set(row.asset, new Decimal(row.balance));
  }
  if (others.size > CONVERTED_ASSETS_MAX) {
    throw new LiquidationError(
      'TOO_MANY_ASSETS',
      `account ${account.id} holds more than ${CONVERTED_ASSETS_MAX} assets`,
    );
  }
  return { settlement, others };
}

/** The account's non-zero balances in other assets than its settlement asset, by asset. */
export async function otherAssetBalances(
  manager: EntityManager,
  account: AccountEntity,
): Promise<ReadonlyMap<string, Decimal>> {
  return (await accountBalances(manager, account)).others;
}

/**
 * Converts every non-zero balance of the account in another asset into its settlement asset
 * (collateralConversionEntry: the liquidation account the counterparty at the index price, the price moved
 * against the member by the liquidation penalty, the penalty to the insurance fund), in one journal entry
 * under the step's key. Prices follow the margin engine's valuation of collateral (margin-request-builder):
 * an asset in the parameter set's usdAssets is worth 1 USD, any other is priced by its assetIndex entry's
 * latest index price observed at or before now, and the price in the settlement asset is
 * usd(asset) / usd(settlement asset). Unlike a margin run, which values collateral at whatever was
 * observed last, a conversion moves the member's money at that price: an asset with no pricing rule, no
 * index observation, or only one older than priceAgeMsMax is not converted at a guess, and then nothing is
 * (the caller leaves the account 'liquidating' for an operator).
 */
export async function convertCollateral(
  manager: EntityManager,
  request: CollateralConversionRequest,
): Promise<CollateralConversionOutcome> {
  const balances = request.otherBalances ?? (await otherAssetBalances(manager, request.account));
  if (balances.size === 0) return { status: 'nothing' };
  const planned = await planConversionNow(manager, request, balances);
  if (planned.status !== 'converted') return planned;
  const { journalEntry, ...converted } = planned;
  const posted = await postJournalEntry(manager, journalEntry);
  return { ...converted, journalEntryId: posted.journalEntryId };
}

/**
 * planCollateralConversion on what the database holds now: the latest index prices of the assets, the
 * house accounts and the settlement asset's scale.
 */
async function planConversionNow(
  manager: EntityManager,
  request: Omit<CollateralConversionRequest, 'otherBalances'>,
  balances: ReadonlyMap<string, Decimal>,
): Promise<PlannedCollateralConversion> {
  const { account } = request;
  const { indexPrices } = await latestMarketData(manager, {
    instrumentIds: [],
    underlyings: conversionUnderlyings(request.parameterSet, [...balances.keys(), account.settlementAsset]),
    asOfEpochMs: request.nowEpochMs,
  });
  return planCollateralConversion({
    ...request,
    balances,
    indexPrices,
    liquidationAccountId: await houseAccountId(manager, 'liquidation'),
    insuranceFundAccountId: await houseAccountId(manager, 'insurance_fund'),
    settlementAssetScale: (await assetScales(manager, [account.settlementAsset])).get(
      account.settlementAsset,
    ) as number,
  });
}

/** A conversion planned but not posted: its journal entry in place of the posted entry's id. */
export type PlannedCollateralConversion =
  | Exclude<CollateralConversionOutcome, { status: 'converted' }>
  | (Omit<Extract<CollateralConversionOutcome, { status: 'converted' }>, 'journalEntryId'> & {
      readonly journalEntry: JournalEntryDraft;
    });

export interface CollateralConversionPlanInput extends Omit<CollateralConversionRequest, 'otherBalances'> {
  /** The account's non-zero balances in other assets. */
  readonly balances: ReadonlyMap<string, Decimal>;
  /** The latest index price at or before now of (at least) every underlying conversionUnderlyings names. */
  readonly indexPrices: ReadonlyMap<string, { readonly price: Decimal; readonly observedAt: Date }>;
  readonly liquidationAccountId: string;
  readonly insuranceFundAccountId: string;
  readonly settlementAssetScale: number;
}

/**
 * Whether an account left 'liquidating' by a liquidation that could not convert its collateral (no fresh
 * enough price then) is due another liquidation now: its latest liquidation completed (none active, none
 * failed: a failed one waits for an operator), it still owes something, and every other-asset balance it
 * holds now has a price a conversion may use. A margin run that finds this opens the new liquidation,
 * so collateral left unconverted in a crash is sold once the price feed catches up, without an operator.
 */
export async function conversionRetryDue(
  manager: EntityManager,
  account: AccountEntity,
  parameterSet: ActiveParameterSet,
  nowEpochMs: number,
): Promise<boolean> {
  // The balances first (keyed by account): most 'liquidating' accounts a margin run meets are mid-way
  // through a liquidation, or owe nothing in another asset, and stop here. The liquidation history has no
  // index by account, so it is read only for the few left.
  let balances: AccountBalances;
  try {
    balances = await accountBalances(manager, account);
  } catch (error) {
    // More assets than a conversion handles: a liquidation would refuse them too; the margin run goes on.
    if (error instanceof LiquidationError && error.code === 'TOO_MANY_ASSETS') return false;
    throw error;
  }
  const { settlement, others } = balances;
  const owing = settlement.isNegative() || [...others.values()].some((amount) => amount.isNegative());
  if (!owing || others.size === 0) return false;
  const latest: { status: string }[] = await manager.query(
    `SELECT status FROM liquidation WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1`,
    [account.id],
  );
  if (latest[0]?.status !== 'completed') return false;
  const planned = await planConversionNow(
    manager,
    {
      account,
      parameterSet,
      idempotencyKey: `conversion-retry-${account.id}`,
      nowEpochMs,
      priceAgeMsMax: parameterSet.body.liquidation.conversionPriceAgeMsMax,
    },
    others,
  );
  return planned.status === 'converted';
}

/** The index underlyings that price `assets` under the parameter set (usdAssets need none). */
export function conversionUnderlyings(parameterSet: ActiveParameterSet, assets: readonly string[]): string[] {
  const usdAssets = new Set(parameterSet.body.usdAssets);
  const underlyings = assets.flatMap((asset) => {
    const index = usdAssets.has(asset) ? undefined : parameterSet.body.assetIndex[asset];
    return index === undefined ? [] : [index];
  });
  return [...new Set(underlyings)];
}

/** convertCollateral's decision and journal entry, from balances and index prices already read. */
export function planCollateralConversion(input: CollateralConversionPlanInput): PlannedCollateralConversion {
  const { account, parameterSet, balances } = input;
  if (balances.size === 0) return { status: 'nothing' };
  const assets = [...balances.keys(), account.settlementAsset];
  const usd = usdPrices(input, assets);
  const refusals: { asset: string; reason: string }[] = [];
  const usdPriceOf = new Map<string, Decimal>();
  for (const asset of assets) {
    const entry = usd.get(asset) as UsdPrice;
    if ('refusal' in entry) refusals.push({ asset, reason: entry.refusal });
    else usdPriceOf.set(asset, entry.price);
  }
  if (refusals.length > 0) return { status: 'refused', refusals };
  const usdOf = (asset: string): Decimal => usdPriceOf.get(asset) as Decimal;
  const result = collateralConversionEntry({
    accountId: account.id,
    liquidationAccountId: input.liquidationAccountId,
    insuranceFundAccountId: input.insuranceFundAccountId,
    settlementAsset: account.settlementAsset,
    settlementAssetScale: input.settlementAssetScale,
    balances: [...balances].map(([asset, amount]) => ({
      asset,
      amount,
      price: conversionPriceOf(usdOf(asset), usdOf(account.settlementAsset), amount),
    })),
    penaltyFraction: new Decimal(parameterSet.body.liquidation.penaltyFraction),
    idempotencyKey: input.idempotencyKey,
  });
  if (result.journalEntry === null) return { status: 'nothing' };
  const indexes = [...usd.values()].flatMap((entry) =>
    'observation' in entry && entry.observation !== undefined ? [entry.observation] : [],
  );
  return {
    status: 'converted',
    journalEntry: result.journalEntry,
    conversions: result.conversions,
    penalty: result.penalty,
    indexes: [...new Map(indexes.map((index) => [index.underlying, index])).values()],
  };
}

type UsdPrice = { readonly price: Decimal; readonly observation?: IndexObservation } | { readonly refusal: string };

/** Each asset's USD price per the parameter set, or why it has none a conversion may use. */
function usdPrices(input: CollateralConversionPlanInput, assets: readonly string[]): Map<string, UsdPrice> {
  const { body, version } = input.parameterSet;
  const usdAssets = new Set(body.usdAssets);
  const indexOf = (asset: string): string | undefined => (usdAssets.has(asset) ? undefined : body.assetIndex[asset]);
  const oldestAcceptedMs = input.nowEpochMs - input.priceAgeMsMax;
  const prices = new Map<string, UsdPrice>();
  for (const asset of assets) {
    if (usdAssets.has(asset)) {
      prices.set(asset, { price: ONE });
      continue;
    }
    const underlying = indexOf(asset);
    const row = underlying === undefined ? undefined : input.indexPrices.get(underlying);
    if (underlying === undefined) {
      prices.set(asset, { refusal: `parameter set ${version} does not price ${asset} (no assetIndex entry)` });
    } else if (row === undefined) {
      prices.set(asset, { refusal: `no ${underlying} index price at or before now` });
    } else if (row.observedAt.getTime() < oldestAcceptedMs) {
      prices.set(asset, {
        refusal: `${underlying} last observed ${row.observedAt.toISOString()}, more than ${input.priceAgeMsMax} ms ago`,
      });
    } else {
      const observation = { underlying, price: row.price.toFixed(), observedAt: row.observedAt.toISOString() };
      prices.set(asset, { price: row.price, observation });
    }
  }
  return prices;
}

/** A conversion as stored in the step details and the account events (strings, never JS numbers). */
export function conversionJson(conversion: CollateralConversion) {
  return {
    asset: conversion.asset,
    quantity: conversion.amount.toFixed(),
    price: conversion.price.toFixed(),
    executionPrice: conversion.executionPrice.toFixed(),
    settlementAmount: conversion.accountAmount.toFixed(),
    penalty: conversion.penalty.toFixed(),
  };
}
