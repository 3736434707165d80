import { Decimal, ONE, ZERO } from '@novation/money';
import { assertNonNegative, assertOpenUnitFraction } from './decimal-preconditions.js';

/**
 * Open-interest scaling of the initial margin fraction (dYdX v4, docs/pages/concepts/trading/margin.mdx,
 * reference case CV-DYDX-03): as the market's open interest grows from a lower to an upper cap, the
 * initial fraction rises linearly from its base value to 1, so a crowded market cannot be entered with
 * the leverage of a thin one.
 *
 *   effectiveIMF = min(baseIMF + max((OI x P - lowerCap) / (upperCap - lowerCap) x (1 - baseIMF), 0), 1)
 *
 * where OI x P is the open interest notional. Parameters are data from the risk parameter set.
 */
export interface OpenInterestScaling {
  /** Open interest notional below which the base fraction applies unchanged. */
  readonly openInterestLowerCapNotional: Decimal;
  /** Open interest notional at and above which the initial fraction is 1 (no leverage). */
  readonly openInterestUpperCapNotional: Decimal;
}

export function validateOpenInterestScaling(scaling: OpenInterestScaling): void {
  assertNonNegative('openInterestLowerCapNotional', scaling.openInterestLowerCapNotional);
  if (!scaling.openInterestUpperCapNotional.gt(scaling.openInterestLowerCapNotional)) {
    throw new RangeError('openInterestUpperCapNotional must be > openInterestLowerCapNotional');
  }
}

export function openInterestScaledInitialMarginFraction(input: {
  readonly baseInitialMarginFraction: Decimal;
  readonly openInterestNotional: Decimal;
  readonly scaling: OpenInterestScaling;
}): Decimal {
  const { baseInitialMarginFraction, openInterestNotional, scaling } = input;
  assertOpenUnitFraction('baseInitialMarginFraction', baseInitialMarginFraction);
  assertNonNegative('openInterestNotional', openInterestNotional);
  validateOpenInterestScaling(scaling);
  const lower = scaling.openInterestLowerCapNotional;
  const width = scaling.openInterestUpperCapNotional.sub(lower);
  const progress = Decimal.max(openInterestNotional.sub(lower).div(width), ZERO);
  const scaled = baseInitialMarginFraction.add(progress.mul(ONE.sub(baseInitialMarginFraction)));
  return Decimal.min(scaled, ONE);
}
