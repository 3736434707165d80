/**
 * Benchmark of the historical expected-shortfall margin model: 2,500 joint historical scenarios (2-day
 * overlapping, EWMA-filtered) x 20 positions per portfolio, over a book of perpetuals, futures and options
 * on BTC and ETH. Times the risk-array build once, then 20,000 portfolios on one core, and separately the
 * conversion of each IM and MM to Decimal (the one place figures leave float64), printed as a share.
 * Seeded, so two runs margin the same portfolios. Measures only; never fails on timing.
 */
import { performance } from 'node:perf_hooks';
import type { Instrument } from '@novation/instruments';
import { Decimal } from '@novation/money';
import type { HistoricalEsMarket, HistoricalEsParameters, HistoricalEsPosition } from '@novation/risk';
import { buildHistoricalEsArrays, historicalEsMargin, scenarioMarginToDecimal } from '@novation/risk';

const PORTFOLIO_COUNT = 20_000;
const POSITIONS_PER_PORTFOLIO = 20;
const SCENARIO_COUNT = 2_500;
const MARGIN_PERIOD_OF_RISK_DAYS = 2;
const SEED_WINDOW_DAYS = 250;
const HISTORY_DAYS = SEED_WINDOW_DAYS + SCENARIO_COUNT + MARGIN_PERIOD_OF_RISK_DAYS - 1;
const DECIMAL_SCALE = 8;
const DAY_MS = 86_400_000;
const UNDERLYING_PRICES = new Map([
  ['BTC', 60_000],
  ['ETH', 3_000],
]);

/** mulberry32: a tiny seeded PRNG, so the history and the portfolios are the same on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function buildInstruments(): Instrument[] {
  const instruments: Instrument[] = [];
  for (const [underlying, price] of UNDERLYING_PRICES) {
    const base = { underlying, quoteAsset: 'USD', settlementAsset: 'USDC', contractSize: new Decimal(1) } as const;
    instruments.push({ ...base, id: `${underlying}-PERP`, kind: 'linear_perpetual' });
    for (const days of [30, 90, 180]) {
      instruments.push({ ...base, id: `${underlying}-${days}D`, kind: 'linear_future', expiryEpochMs: days * DAY_MS });
    }
    for (const days of [1, 7, 30, 90, 180]) {
      for (let strikeStep = -5; strikeStep <= 5; strikeStep += 1) {
        const strike = Math.round(price * (1 + 0.05 * strikeStep));
        for (const optionType of ['call', 'put'] as const) {
          instruments.push({
            ...base,
            id: `${underlying}-${days}D-${strike}-${optionType}`,
            kind: 'european_option',
            settlement: 'linear',
            underlyingReference: 'future',
            optionType,
            strikePrice: new Decimal(strike),
            expiryEpochMs: days * DAY_MS,
          });
        }
      }
    }
  }
  return instruments;
}

/** Daily log returns with volatility clustering, jumps and a common factor between BTC and ETH. */
function syntheticHistory(random: () => number, days: number, dailyVolatility: number): Map<string, number[]> {
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const history = new Map<string, number[]>([...UNDERLYING_PRICES.keys()].map((underlying) => [underlying, []]));
  let variance = dailyVolatility ** 2;
  for (let day = 0; day < days; day += 1) {
    const common = normal() + (random() < 0.01 ? -4 : 0);
    let square = 0;
    for (const series of history.values()) {
      const value = Math.sqrt(variance) * (0.7 * common + 0.71 * normal());
      series.push(value);
      square += (value * value) / history.size;
    }
    variance = 0.9 * variance + 0.08 * square + 0.02 * dailyVolatility ** 2;
  }
  return history;
}

/** 20 distinct instruments per portfolio with signed quantities. */
function buildPortfolios(instruments: readonly Instrument[], random: () => number): HistoricalEsPosition[][] {
  return Array.from({ length: PORTFOLIO_COUNT }, () => {
    const chosen = new Set<number>();
    while (chosen.size < POSITIONS_PER_PORTFOLIO) chosen.add(Math.floor(random() * instruments.length));
    return [...chosen].map((index) => ({
      instrumentId: instruments[index]?.id ?? '',
      quantity: Math.round((random() - 0.5) * 200) / 10,
    }));
  });
}

function run(name: string, parameters: HistoricalEsParameters): string {
  const random = mulberry32(20_240_601);
  const instruments = buildInstruments();
  const market: HistoricalEsMarket = {
    valuationEpochMs: 0,
    riskFreeRate: 0.03,
    underlyingPrices: UNDERLYING_PRICES,
    impliedVolatilities: new Map(instruments.map((instrument) => [instrument.id, 0.4 + 0.4 * random()])),
    returnHistory: syntheticHistory(random, HISTORY_DAYS, 0.03),
    // One stressed year at twice the volatility, as a stand-in for 2020-03 or 2022-11.
    stressedReturnHistory: syntheticHistory(mulberry32(20_200_312), 250, 0.06),
  };
  const buildStart = performance.now();
  const arrays = buildHistoricalEsArrays(instruments, market, parameters);
  const buildMs = performance.now() - buildStart;
  const portfolios = buildPortfolios(instruments, random);
  for (const positions of portfolios.slice(0, 500)) historicalEsMargin(positions, arrays, parameters); // JIT warm-up
  const initialMargins = new Float64Array(PORTFOLIO_COUNT);
  const maintenanceMargins = new Float64Array(PORTFOLIO_COUNT);
  const marginStart = performance.now();
  portfolios.forEach((positions, index) => {
    const result = historicalEsMargin(positions, arrays, parameters);
    initialMargins[index] = result.initialMargin;
    maintenanceMargins[index] = result.maintenanceMargin;
  });
  const marginMs = performance.now() - marginStart;
  const decimalStart = performance.now();
  let total = new Decimal(0);
  for (let index = 0; index < PORTFOLIO_COUNT; index += 1) {
    total = total.plus(scenarioMarginToDecimal(initialMargins[index] ?? 0, DECIMAL_SCALE));
    scenarioMarginToDecimal(maintenanceMargins[index] ?? 0, DECIMAL_SCALE);
  }
  const decimalMs = performance.now() - decimalStart;
  const portfoliosPerSecond = Math.round(PORTFOLIO_COUNT / (marginMs / 1000));
  const decimalShare = (100 * decimalMs) / (marginMs + decimalMs);
  return [
    name.padEnd(30),
    String(arrays.historical.scenarioCount).padStart(9),
    String(arrays.historical.tailCount).padStart(6),
    String(instruments.length).padStart(11),
    buildMs.toFixed(1).padStart(9),
    marginMs.toFixed(1).padStart(10),
    portfoliosPerSecond.toLocaleString('en-US').padStart(18),
    decimalMs.toFixed(1).padStart(10),
    `${decimalShare.toFixed(1)}%`.padStart(13),
    total.toExponential(4).padStart(11),
  ].join(' | ');
}

const BASE_PARAMETERS: HistoricalEsParameters = {
  lookbackDays: SCENARIO_COUNT,
  confidence: 0.975,
  measure: 'expected-shortfall',
  marginPeriodOfRiskDays: MARGIN_PERIOD_OF_RISK_DAYS,
  horizonMethod: 'overlapping',
  filtering: { kind: 'ewma', decay: 0.97, seedWindowDays: SEED_WINDOW_DAYS },
  antiProcyclicality: { kind: 'buffer', bufferFraction: 0.25 },
  liquidity: {
    'BTC-PERP': { liquidQuantity: 5, spreadFraction: 0.0002, impactFraction: 0.001 },
    'ETH-PERP': { liquidQuantity: 5, spreadFraction: 0.0003, impactFraction: 0.0015 },
  },
  maintenanceFactor: 0.8,
  volatilityFloor: 0.05,
};

const header = [
  'model'.padEnd(30),
  'scenarios',
  'tail k',
  'instruments',
  'arrays ms',
  'margin ms',
  'portfolios/s/core',
  'Decimal ms',
  'Decimal share',
  'sum IM',
];
console.log(`${PORTFOLIO_COUNT} portfolios x ${POSITIONS_PER_PORTFOLIO} positions, one core`);
console.log(header.join(' | '));
console.log(run('ES 97.5%, FHS 2d, buffer', BASE_PARAMETERS));
console.log(
  run('ES 97.5%, FHS 2d, stress floor', {
    ...BASE_PARAMETERS,
    antiProcyclicality: { kind: 'stress-period-floor', weight: 0.25 },
  }),
);
console.log(
  run('VaR 99%, 1d x sqrt(2), no APC', {
    ...BASE_PARAMETERS,
    measure: 'value-at-risk',
    confidence: 0.99,
    horizonMethod: 'square-root-of-time',
    filtering: { kind: 'none' },
    antiProcyclicality: { kind: 'none' },
  }),
);
