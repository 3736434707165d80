import type { RiskArrays } from './risk-arrays.js';
import type { ScenarioMarginParameters } from './scenario-parameters.js';

/** A holding of one underlying group: the instrument's row in the risk arrays and signed contracts. */
export interface GroupHolding {
  readonly index: number;
  readonly quantity: number;
}

export interface GroupContingencies {
  /** Short-option charge, per contract or on the net short per strike (shortOptionChargeBasis). */
  readonly shortOptionCharge: number;
  /** futuresOffsetChargeFraction x min(long futures notional, short futures notional). */
  readonly futuresOffsetCharge: number;
}

/**
 * The contingency add-ons of one underlying group, on top of its scan loss: charges for risks a price x
 * vol grid cannot see. Deribit's legacy portfolio margin (CV-DERIBIT-08) charged 0.01 BTC per NET short
 * option per strike and 1% of the underlying on futures that offset each other across expiries; with
 * 'per-contract' every short option contract is charged (Deribit's current rule). Notionals are in the
 * settlement asset (coin for inverse contracts), per riskArrays.underlyingNotionalPerContract.
 */
export function groupContingencies(
  holdings: readonly GroupHolding[],
  riskArrays: RiskArrays,
  parameters: ScenarioMarginParameters,
): GroupContingencies {
  const netPerStrike = parameters.shortOptionChargeBasis === 'net-per-strike';
  const netNotionalByStrike = new Map<number, number>();
  let shortOptionNotional = 0;
  let longFuturesNotional = 0;
  let shortFuturesNotional = 0;
  for (const { index, quantity } of holdings) {
    const notional = quantity * (riskArrays.underlyingNotionalPerContract[index] ?? 0);
    if (riskArrays.isOption[index] === 1) {
      if (netPerStrike) {
        const key = riskArrays.strikeKeyIndexes[index] ?? -1;
        netNotionalByStrike.set(key, (netNotionalByStrike.get(key) ?? 0) + notional);
      } else {
        shortOptionNotional += Math.max(-notional, 0);
      }
    } else if (riskArrays.isFuture[index] === 1) {
      if (notional > 0) longFuturesNotional += notional;
      else shortFuturesNotional -= notional;
    }
  }
  for (const net of netNotionalByStrike.values()) shortOptionNotional += Math.max(-net, 0);
  return {
    shortOptionCharge: shortOptionNotional * parameters.shortOptionChargeFraction,
    futuresOffsetCharge:
      Math.min(longFuturesNotional, shortFuturesNotional) * (parameters.futuresOffsetChargeFraction ?? 0),
  };
}
