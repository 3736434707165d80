import { Decimal, ONE, ZERO, roundPayout, roundRequirement } from '@novation/money';
import { ClearingError } from '../clearing-error.js';
import type { JournalEntryDraft, PostingDraft } from '../ledger-draft.js';
import { assertIdentifier, assertInRange, assertPositive, assertScale } from '../preconditions.js';
import { finishEntry } from '../settlement-entry.js';
import { assertBounded, assertIdempotencyKey, assertNonNegative, compareIds } from './liquidation-preconditions.js';

/** Decimal places of a conversion price derived by division (numeric(38,18), as the margin engine's asset prices). */
export const CONVERSION_PRICE_SCALE = 18;

/** One balance of the liquidated account in an asset other than its settlement asset. */
export interface ConvertedBalance {
  readonly asset: string;
  /** The whole balance, signed: positive is sold, negative bought back. Never zero. */
  readonly amount: Decimal;
  /** Index price of one unit of `asset` in the settlement asset, > 0 (conversionPriceOf). */
  readonly price: Decimal;
}

export interface CollateralConversionInput {
  /** The account being liquidated. */
  readonly accountId: string;
  /** The clearinghouse's liquidation account: the counterparty of every conversion, at the index price. */
  readonly liquidationAccountId: string;
  /** Receives the penalty. */
  readonly insuranceFundAccountId: string;
  readonly settlementAsset: string;
  readonly settlementAssetScale: number;
  readonly balances: readonly ConvertedBalance[];
  /** The liquidation penalty, in [0, 1): the price concession charged to the account. */
  readonly penaltyFraction: Decimal;
  /** The liquidation step's key: the conversions are one entry of that step. */
  readonly idempotencyKey: string;
}

/** What one balance became, every amount signed as posted to the account it names. */
export interface CollateralConversion {
  readonly asset: string;
  /** The balance converted (what the account held); the account posts its negation in `asset`. */
  readonly amount: Decimal;
  /** Index price in the settlement asset. */
  readonly price: Decimal;
  /** Price moved against the account: price x (1 - penalty) when selling, price x (1 + penalty) when buying. */
  readonly executionPrice: Decimal;
  /** The account, in the settlement asset: > 0 proceeds of a sale, < 0 the cost of a buy-back (or 0). */
  readonly accountAmount: Decimal;
  /** The liquidation account, in the settlement asset: the value at the index price, opposite the account. */
  readonly liquidationAccountAmount: Decimal;
  /** The insurance fund, in the settlement asset, >= 0. */
  readonly penalty: Decimal;
}

export interface CollateralConversionResult {
  /** Null when there is nothing to convert. */
  readonly journalEntry: JournalEntryDraft | null;
  /** Sorted by asset. */
  readonly conversions: readonly CollateralConversion[];
  /** The account's settlement-asset total (signed). */
  readonly accountAmount: Decimal;
  /** The insurance fund's total, >= 0. */
  readonly penalty: Decimal;
}

/**
 * Collateral liquidation: converts balances of other assets into the account's settlement asset, the
 * clearinghouse's liquidation account the counterparty at the index price, the price moved against the
 * account by the liquidation penalty (as a close is), the penalty to the insurance fund:
 * - a positive balance is sold: the account receives value x (1 - penalty) rounded down, the liquidation
 *   account pays the value rounded down (as if the account had sold at the index) and takes the asset;
 * - a negative balance is bought back: the account pays value x (1 + penalty) rounded up, the liquidation
 *   account receives the value rounded up and delivers the asset, so the account's balance of it is 0.
 * value = |amount| x price. Both sides of each conversion round as the account's own amount would, so the
 * account never gains from rounding and the penalty, their difference, is >= 0. The entry holds, per
 * converted asset, the account's and the liquidation account's postings (they net to zero), and in the
 * settlement asset at most three postings (account, liquidation account, insurance fund) summing to zero.
 * A balance worth less than one unit of the settlement asset is still converted (the account receives 0
 * for dust: its balance of the asset must end at 0 like the others).
 */
export function collateralConversionEntry(input: CollateralConversionInput): CollateralConversionResult {
  assertConversionInput(input);
  const conversions = [...input.balances]
    .sort((left, right) => compareIds(left.asset, right.asset))
    .map((balance) => convert(balance, input.penaltyFraction, input.settlementAssetScale));
  const total = (pick: (conversion: CollateralConversion) => Decimal): Decimal =>
    normalised(conversions.reduce((sum, conversion) => sum.plus(pick(conversion)), ZERO));
  const accountAmount = total((conversion) => conversion.accountAmount);
  const penalty = total((conversion) => conversion.penalty);
  const postings: PostingDraft[] = [];
  for (const conversion of conversions) {
    postings.push(
      { accountId: input.accountId, asset: conversion.asset, amount: conversion.amount.negated() },
      { accountId: input.liquidationAccountId, asset: conversion.asset, amount: conversion.amount },
    );
  }
  postings.push(
    ...[
      { accountId: input.accountId, asset: input.settlementAsset, amount: accountAmount },
      {
        accountId: input.liquidationAccountId,
        asset: input.settlementAsset,
        amount: total((conversion) => conversion.liquidationAccountAmount),
      },
      { accountId: input.insuranceFundAccountId, asset: input.settlementAsset, amount: penalty },
    ].filter((posting) => !posting.amount.isZero()),
  );
  const header = {
    idempotencyKey: input.idempotencyKey,
    kind: 'liquidation',
    description: `collateral conversion of ${input.accountId}: ${conversions.length} asset(s) to ${input.settlementAsset}`,
  };
  return { journalEntry: finishEntry(header, postings), conversions, accountAmount, penalty };
}

function convert(balance: ConvertedBalance, penaltyFraction: Decimal, scale: number): CollateralConversion {
  const value = balance.amount.abs().times(balance.price);
  if (balance.amount.isPositive()) {
    const executionPrice = balance.price.times(ONE.minus(penaltyFraction));
    const accountAmount = roundPayout(value.times(ONE.minus(penaltyFraction)), scale);
    const atIndex = roundPayout(value, scale);
    return {
      asset: balance.asset,
      amount: balance.amount,
      price: balance.price,
      executionPrice,
      accountAmount: normalised(accountAmount),
      liquidationAccountAmount: normalised(atIndex.negated()),
      penalty: normalised(atIndex.minus(accountAmount)),
    };
  }
  const executionPrice = balance.price.times(ONE.plus(penaltyFraction));
  const cost = roundRequirement(value.times(ONE.plus(penaltyFraction)), scale);
  const atIndex = roundRequirement(value, scale);
  return {
    asset: balance.asset,
    amount: balance.amount,
    price: balance.price,
    executionPrice,
    accountAmount: normalised(cost.negated()),
    liquidationAccountAmount: normalised(atIndex),
    penalty: normalised(cost.minus(atIndex)),
  };
}

/**
 * The conversion price of one unit of an asset in the settlement asset, as the margin engine prices
 * collateral (usd(asset) / usd(settlement asset), each from its index or 1 for a USD asset), at
 * CONVERSION_PRICE_SCALE places rounded against the account: down for a balance it sells (it receives
 * less), up for one it buys back (it pays more).
 */
export function conversionPriceOf(assetUsdPrice: Decimal, settlementAssetUsdPrice: Decimal, amount: Decimal): Decimal {
  assertPositive(assetUsdPrice, 'assetUsdPrice', 'NON_POSITIVE_PRICE');
  assertPositive(settlementAssetUsdPrice, 'settlementAssetUsdPrice', 'NON_POSITIVE_PRICE');
  assertInRange(amount, 'amount');
  const exact = assetUsdPrice.dividedBy(settlementAssetUsdPrice);
  const price = amount.isNegative()
    ? roundRequirement(exact, CONVERSION_PRICE_SCALE)
    : roundPayout(exact, CONVERSION_PRICE_SCALE);
  if (price.isZero()) {
    throw new ClearingError('NON_POSITIVE_PRICE', 'assetUsdPrice', 'the conversion price rounds to zero');
  }
  return price;
}

/** Decimal keeps a sign on zero (-0 from negating 0): posted and reported amounts must not. */
function normalised(amount: Decimal): Decimal {
  return amount.isZero() ? ZERO : amount;
}

function assertConversionInput(input: CollateralConversionInput): void {
  assertIdentifier(input.accountId, 'accountId');
  assertIdentifier(input.liquidationAccountId, 'liquidationAccountId');
  assertIdentifier(input.insuranceFundAccountId, 'insuranceFundAccountId');
  assertIdentifier(input.settlementAsset, 'settlementAsset');
  assertIdempotencyKey(input.idempotencyKey, 'idempotencyKey');
  assertScale(input.settlementAssetScale, 'settlementAssetScale');
  assertBounded(input.balances, 'balances');
  assertNonNegative(input.penaltyFraction, 'penaltyFraction');
  if (input.penaltyFraction.gte(ONE)) throw new ClearingError('OUT_OF_RANGE', 'penaltyFraction', 'must be < 1');
  const ids = new Set([input.accountId, input.liquidationAccountId, input.insuranceFundAccountId]);
  if (ids.size !== 3) {
    throw new ClearingError('HOUSE_ACCOUNT_IS_MEMBER', 'accountId', 'must differ from the house accounts');
  }
  const seen = new Set<string>();
  input.balances.forEach((balance, index) => {
    const field = `balances[${index}]`;
    assertIdentifier(balance.asset, `${field}.asset`);
    if (balance.asset === input.settlementAsset) {
      throw new ClearingError('OUT_OF_RANGE', `${field}.asset`, 'is the settlement asset: nothing to convert');
    }
    if (seen.has(balance.asset)) throw new ClearingError('INVALID_POSITION', `${field}.asset`, 'appears twice');
    seen.add(balance.asset);
    assertInRange(balance.amount, `${field}.amount`);
    if (balance.amount.isZero()) throw new ClearingError('OUT_OF_RANGE', `${field}.amount`, 'must not be 0');
    assertPositive(balance.price, `${field}.price`, 'NON_POSITIVE_PRICE');
  });
}
