import type { Decimal } from '@novation/money';
import { ONE, ZERO, isDecimal, roundPayout, roundRequirement } from '@novation/money';
import { CollateralError } from './collateral-error.js';
import type { CollateralHaircut } from './collateral-haircuts.js';
import { assertHaircut } from './collateral-haircuts.js';

/** A balance of one asset; a negative amount is a debt (e.g. a borrowed or overdrawn balance). */
export interface CollateralHolding {
  readonly asset: string;
  readonly amount: Decimal;
}

export interface CollateralValuationInput {
  /** The asset every value is expressed in (the margin currency of the account). */
  readonly settlementAsset: string;
  readonly holdings: readonly CollateralHolding[];
  /** Price of one unit of each asset in the settlement asset; the settlement asset itself is always 1. */
  readonly prices: ReadonlyMap<string, Decimal>;
  /** Haircuts per asset; the settlement asset defaults to no haircut when absent. */
  readonly haircuts: ReadonlyMap<string, CollateralHaircut>;
  /** Decimal places of the settlement asset; every value is rounded to it. */
  readonly scale: number;
}

export interface CollateralLine {
  readonly asset: string;
  readonly amount: Decimal;
  readonly price: Decimal;
  readonly marketValue: Decimal;
  readonly initialHaircut: Decimal;
  readonly maintenanceHaircut: Decimal;
  readonly initialMarginValue: Decimal;
  readonly maintenanceMarginValue: Decimal;
}

export interface CollateralValuation {
  readonly marketValue: Decimal;
  readonly initialMarginValue: Decimal;
  readonly maintenanceMarginValue: Decimal;
  /** One line per holding, sorted by asset so the result does not depend on input order. */
  readonly lines: readonly CollateralLine[];
}

/** Holdings per valuation; bounds the work of one call. */
export const COLLATERAL_HOLDING_COUNT_MAX = 10_000;

const NO_HAIRCUT: CollateralHaircut = { initial: ZERO, maintenance: ZERO };

/**
 * Values an account's collateral in its settlement asset. An asset worth A x P counts at
 * A x P x (1 - haircut) rounded DOWN (a value in the member's favour is a payout). A debt counts at its full
 * A x P rounded away from zero, with no haircut: a haircut on a debt would shrink it, so a member could
 * borrow a volatile asset and see its debt counted below its market value.
 */
export function valueCollateral(input: CollateralValuationInput): CollateralValuation {
  assertInput(input);
  const lines = [...input.holdings]
    .sort((first, second) => compareText(first.asset, second.asset))
    .map((holding) => valueHolding(holding, input));
  const total = (pick: (line: CollateralLine) => Decimal): Decimal =>
    lines.reduce((sum, line) => sum.add(pick(line)), ZERO);
  return {
    marketValue: total((line) => line.marketValue),
    initialMarginValue: total((line) => line.initialMarginValue),
    maintenanceMarginValue: total((line) => line.maintenanceMarginValue),
    lines,
  };
}

function valueHolding(holding: CollateralHolding, input: CollateralValuationInput): CollateralLine {
  const { asset, amount } = holding;
  const price = priceOf(asset, input);
  const haircut = haircutOf(asset, input);
  const fullValue = amount.mul(price);
  if (amount.lt(ZERO)) {
    // ROUND_UP rounds away from zero: -10.005 becomes -10.01, so the debt is never understated.
    const debt = roundRequirement(fullValue, input.scale);
    return line(holding, price, haircut, debt, debt, debt);
  }
  return line(
    holding,
    price,
    haircut,
    roundPayout(fullValue, input.scale),
    roundPayout(fullValue.mul(ONE.sub(haircut.initial)), input.scale),
    roundPayout(fullValue.mul(ONE.sub(haircut.maintenance)), input.scale),
  );
}

function line(
  holding: CollateralHolding,
  price: Decimal,
  haircut: CollateralHaircut,
  marketValue: Decimal,
  initialMarginValue: Decimal,
  maintenanceMarginValue: Decimal,
): CollateralLine {
  return {
    asset: holding.asset,
    amount: holding.amount,
    price,
    marketValue,
    initialHaircut: haircut.initial,
    maintenanceHaircut: haircut.maintenance,
    initialMarginValue,
    maintenanceMarginValue,
  };
}

function priceOf(asset: string, input: CollateralValuationInput): Decimal {
  const price = input.prices.get(asset);
  if (asset === input.settlementAsset) {
    if (price !== undefined && !(isDecimal(price) && price.eq(ONE))) {
      throw new CollateralError('INVALID_PRICE', `prices[${asset}]`, 'the settlement asset is priced at exactly 1');
    }
    return ONE;
  }
  if (price === undefined) {
    throw new CollateralError('MISSING_PRICE', `prices[${asset}]`, `no price of ${asset} in ${input.settlementAsset}`);
  }
  if (!isDecimal(price) || !price.isFinite() || !price.gt(ZERO)) {
    throw new CollateralError('INVALID_PRICE', `prices[${asset}]`, 'must be a finite positive Decimal');
  }
  return price;
}

function haircutOf(asset: string, input: CollateralValuationInput): CollateralHaircut {
  const haircut = input.haircuts.get(asset);
  if (haircut === undefined) {
    if (asset === input.settlementAsset) return NO_HAIRCUT;
    throw new CollateralError('MISSING_HAIRCUT', `haircuts[${asset}]`, `${asset} has no haircut: it is not eligible`);
  }
  assertHaircut(asset, haircut);
  return haircut;
}

function assertInput(input: CollateralValuationInput): void {
  if (typeof input.settlementAsset !== 'string' || input.settlementAsset === '') {
    throw new CollateralError('INVALID_INPUT', 'settlementAsset', 'must be a non-empty asset code');
  }
  if (!Number.isInteger(input.scale) || input.scale < 0 || input.scale > 18) {
    throw new CollateralError('INVALID_INPUT', 'scale', `must be an integer in [0, 18], got ${input.scale}`);
  }
  if (input.holdings.length > COLLATERAL_HOLDING_COUNT_MAX) {
    throw new CollateralError('INVALID_INPUT', 'holdings', `more than ${COLLATERAL_HOLDING_COUNT_MAX} holdings`);
  }
  const seen = new Set<string>();
  input.holdings.forEach((holding, index) => {
    assertHolding(holding, index);
    if (seen.has(holding.asset)) {
      throw new CollateralError('DUPLICATE_ASSET', `holdings[${index}].asset`, `${holding.asset} appears twice`);
    }
    seen.add(holding.asset);
  });
}

function assertHolding(holding: CollateralHolding, index: number): void {
  if (typeof holding.asset !== 'string' || holding.asset === '') {
    throw new CollateralError('INVALID_INPUT', `holdings[${index}].asset`, 'must be a non-empty asset code');
  }
  if (!isDecimal(holding.amount) || !holding.amount.isFinite()) {
    throw new CollateralError('INVALID_AMOUNT', `holdings[${index}].amount`, 'must be a finite Decimal');
  }
}

/** Code-point order, independent of the locale the process runs in. */
function compareText(first: string, second: string): number {
  return first < second ? -1 : first > second ? 1 : 0;
}
