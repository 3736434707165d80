/**
 * Benchmark of the portfolio-scenario margin model: 100k accounts x 20 positions, margined through the
 * typed-array book path, for the SPAN 16 grid and the 35-scenario Deribit-style grid. Prints accounts
 * per second on one core (the loop is single-threaded) and the time to build the risk arrays.
 * Seeded, so two runs margin the same book.
 */
import { performance } from 'node:perf_hooks';
import type { Instrument } from '@novation/instruments';
import { Decimal } from '@novation/money';
import type { ScenarioMarginParameters } from '@novation/risk';
import {
  DERIBIT_STYLE_EXAMPLE_PARAMETERS,
  SPAN_16_EXAMPLE_PARAMETERS,
  bookScenarioMargin,
  buildRiskArrays,
  scenarioMarginToDecimalString,
  scenarioMarginToUnits,
} from '@novation/risk';

const ACCOUNT_COUNT = 100_000;
const POSITIONS_PER_ACCOUNT = 20;
const DAY_MS = 86_400_000;
const UNDERLYING_PRICES = new Map([
  ['BTC', 60_000],
  ['ETH', 3_000],
]);

/** mulberry32: a tiny seeded PRNG, so the book is the same on every run. */
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
    const base = { underlying, quoteAsset: 'USD', settlementAsset: 'USDC' } as const;
    instruments.push({ ...base, id: `${underlying}-PERP`, kind: 'linear_perpetual', contractSize: new Decimal(1) });
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
            contractSize: new Decimal(1),
            expiryEpochMs: days * DAY_MS,
          });
        }
      }
    }
  }
  return instruments;
}

interface Measurement {
  readonly scenarioCount: number;
  readonly instrumentCount: number;
  readonly buildMs: number;
  readonly marginMs: number;
  /** Rounding every IM up to exact integer units (the sweep's form; no decimal.js). */
  readonly unitsMs: number;
  /** Formatting every IM as a rounded-up decimal string (the storage form; only for amounts stored). */
  readonly decimalMs: number;
  readonly totalInitialMargin: number;
}

/**
 * One full pass, as a worker does per snapshot: build the risk arrays, margin the book, then convert every
 * account's IM to its rounded-up decimal string (scenarioMarginToDecimalString, the one place figures
 * leave float64; the form a numeric column takes), timed apart.
 */
function measure(parameters: ScenarioMarginParameters): Measurement {
  const instruments = buildInstruments();
  const random = mulberry32(20_240_601);
  const snapshot = {
    valuationEpochMs: 0,
    riskFreeRate: 0.03,
    underlyingPrices: UNDERLYING_PRICES,
    impliedVolatilities: new Map(instruments.map((instrument) => [instrument.id, 0.4 + 0.4 * random()])),
  };
  const positionCount = ACCOUNT_COUNT * POSITIONS_PER_ACCOUNT;
  const book = {
    accountStarts: Int32Array.from({ length: ACCOUNT_COUNT + 1 }, (_, account) => account * POSITIONS_PER_ACCOUNT),
    instrumentIndexes: Int32Array.from({ length: positionCount }, () => Math.floor(random() * instruments.length)),
    quantities: Float64Array.from({ length: positionCount }, () => Math.round((random() - 0.5) * 200) / 10),
  };
  const buildStart = performance.now();
  const riskArrays = buildRiskArrays(instruments, snapshot, parameters);
  const buildMs = performance.now() - buildStart;
  const marginStart = performance.now();
  const margins = bookScenarioMargin(book, riskArrays, parameters);
  const marginMs = performance.now() - marginStart;
  const unitsStart = performance.now();
  let unitsCheck = 0;
  for (let account = 0; account < margins.length; account += 1) {
    unitsCheck += scenarioMarginToUnits(margins[account] ?? 0, 6);
  }
  const unitsMs = performance.now() - unitsStart;
  if (unitsCheck < 0) throw new Error('unreachable: keeps the conversion from being optimised away');
  const decimalStart = performance.now();
  let decimalCheck = 0;
  for (const margin of margins) decimalCheck += scenarioMarginToDecimalString(margin, 6).length;
  const decimalMs = performance.now() - decimalStart;
  if (decimalCheck < 0) throw new Error('unreachable: keeps the conversion from being optimised away');
  return {
    scenarioCount: riskArrays.scenarios.length,
    instrumentCount: instruments.length,
    buildMs,
    marginMs,
    unitsMs,
    decimalMs,
    totalInitialMargin: margins.reduce((sum, margin) => sum + margin, 0),
  };
}

/** The second of two passes is reported: a worker margins snapshot after snapshot with a warm JIT. */
function run(name: string, parameters: ScenarioMarginParameters): string {
  measure(parameters);
  const result = measure(parameters);
  const bookMs = result.buildMs + result.marginMs;
  const sweepMs = bookMs + result.unitsMs;
  return [
    name.padEnd(16),
    String(result.scenarioCount).padStart(9),
    String(result.instrumentCount).padStart(11),
    result.buildMs.toFixed(1).padStart(9),
    result.marginMs.toFixed(1).padStart(9),
    bookMs.toFixed(1).padStart(16),
    Math.round(ACCOUNT_COUNT / (bookMs / 1000))
      .toLocaleString('en-US')
      .padStart(15),
    result.unitsMs.toFixed(1).padStart(8),
    `${((100 * result.unitsMs) / sweepMs).toFixed(1)}%`.padStart(11),
    result.decimalMs.toFixed(1).padStart(16),
    result.totalInitialMargin.toExponential(3).padStart(10),
  ].join(' | ');
}

const header = [
  'grid'.padEnd(16),
  'scenarios',
  'instruments',
  'arrays ms',
  'book ms',
  'arrays+book ms',
  'accounts/s/core',
  'units ms',
  'units share',
  'decimal string ms',
  'sum IM',
];
console.log(`${ACCOUNT_COUNT} accounts x ${POSITIONS_PER_ACCOUNT} positions, one core; goal: arrays+book <= 200 ms`);
console.log('units: every IM rounded up to exact integer micro-units (the sweep keeps these; decimal.js untouched);');
console.log('decimal string: the same figure formatted for storage, paid only for the amounts actually stored.');
console.log(header.join(' | '));
console.log(run('SPAN 16', SPAN_16_EXAMPLE_PARAMETERS));
console.log(run('Deribit-style 35', DERIBIT_STYLE_EXAMPLE_PARAMETERS));
