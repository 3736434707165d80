import { Decimal } from '@novation/money';
import type { Instrument } from '@novation/instruments';
import type { ScenarioMarketSnapshot } from './contract-valuer.js';

/** A small USDC-settled book used by the specs: futures and options on BTC and ETH. */
const DAY_MS = 86_400_000;

function linearOption(
  id: string,
  underlying: string,
  optionType: 'call' | 'put',
  strike: number,
  days: number,
): Instrument {
  return {
    id,
    kind: 'european_option',
    underlying,
    quoteAsset: 'USD',
    settlementAsset: 'USDC',
    settlement: 'linear',
    underlyingReference: 'future',
    optionType,
    strikePrice: new Decimal(strike),
    contractSize: new Decimal(1),
    expiryEpochMs: days * DAY_MS,
  };
}

export const TEST_INSTRUMENTS: readonly Instrument[] = [
  {
    id: 'BTC-PERP',
    kind: 'linear_perpetual',
    underlying: 'BTC',
    quoteAsset: 'USD',
    settlementAsset: 'USDC',
    contractSize: new Decimal('0.001'),
  },
  linearOption('BTC-7D-60000-C', 'BTC', 'call', 60_000, 7),
  linearOption('BTC-7D-55000-P', 'BTC', 'put', 55_000, 7),
  linearOption('BTC-90D-70000-C', 'BTC', 'call', 70_000, 90),
  {
    id: 'ETH-PERP',
    kind: 'linear_perpetual',
    underlying: 'ETH',
    quoteAsset: 'USD',
    settlementAsset: 'USDC',
    contractSize: new Decimal('0.01'),
  },
  linearOption('ETH-30D-3000-C', 'ETH', 'call', 3000, 30),
  linearOption('ETH-30D-2800-P', 'ETH', 'put', 2800, 30),
];

export const TEST_SNAPSHOT: ScenarioMarketSnapshot = {
  valuationEpochMs: 0,
  riskFreeRate: 0.03,
  underlyingPrices: new Map([
    ['BTC', 58_000],
    ['ETH', 2_900],
  ]),
  impliedVolatilities: new Map(
    TEST_INSTRUMENTS.filter((instrument) => instrument.kind === 'european_option').map((instrument, index) => [
      instrument.id,
      0.5 + 0.05 * index,
    ]),
  ),
};
