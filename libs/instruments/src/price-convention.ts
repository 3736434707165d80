import type { Instrument } from './instrument.js';

/**
 * How a contract's value depends on its traded price:
 * - 'linear': value = contracts x contractSize x price, in the settlement asset. Spot, linear futures, and
 *   options (whose traded price is the premium, already quoted in the settlement asset, coin or USDC);
 * - 'inverse': value = contracts x contractSize / price, in coin. Inverse futures, whose contract is a USD
 *   face value paid in coin.
 */
export type PriceConvention = 'linear' | 'inverse';

export function priceConvention(instrument: Instrument): PriceConvention {
  switch (instrument.kind) {
    case 'spot':
    case 'linear_perpetual':
    case 'linear_future':
    case 'european_option':
      return 'linear';
    case 'inverse_perpetual':
    case 'inverse_future':
      return 'inverse';
  }
}
