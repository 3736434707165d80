import { Decimal } from '@novation/money';
import type { Instrument } from '@novation/instruments';
import { TEST_INSTRUMENTS } from '../scenario/scenario-test-book.js';
import type { HistoricalEsMarket } from './historical-es-arrays.js';
import { buildHistoricalEsArrays } from './historical-es-arrays.js';
import type { HistoricalEsErrorCode } from './historical-es-error.js';
import { HistoricalEsError } from './historical-es-error.js';
import { historicalEsMargin } from './historical-es-margin.js';
import type { HistoricalEsParameters } from './historical-es-parameters.js';
import { assertValidHistoricalEsParameters } from './historical-es-parameters.js';
import { TEST_HISTORY_DAYS, TEST_MARKET, TEST_PARAMETERS } from './historical-es-test-market.js';

function expectError(action: () => unknown, code: HistoricalEsErrorCode, field: string): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(HistoricalEsError);
  expect((caught as HistoricalEsError).code).toBe(code);
  expect((caught as HistoricalEsError).message).toContain(field);
}

describe('assertValidHistoricalEsParameters', () => {
  it('accepts the test parameters', () => {
    expect(() => assertValidHistoricalEsParameters(TEST_PARAMETERS)).not.toThrow();
  });

  it.each<[string, Partial<HistoricalEsParameters>]>([
    ['lookbackDays', { lookbackDays: 0 }],
    ['lookbackDays', { lookbackDays: 5_001 }],
    ['lookbackDays', { lookbackDays: 2.5 }],
    ['confidence', { confidence: 1 }],
    ['confidence', { confidence: Number.NaN }],
    ['measure', { measure: 'mean' as HistoricalEsParameters['measure'] }],
    ['marginPeriodOfRiskDays', { marginPeriodOfRiskDays: 0 }],
    ['horizonMethod', { horizonMethod: 'cube-root' as HistoricalEsParameters['horizonMethod'] }],
    ['filtering.decay', { filtering: { kind: 'ewma', decay: 1 } }],
    ['filtering.seedWindowDays', { filtering: { kind: 'ewma', decay: 0.94, seedWindowDays: 0 } }],
    ['antiProcyclicality.bufferFraction', { antiProcyclicality: { kind: 'buffer', bufferFraction: -0.1 } }],
    ['antiProcyclicality.weight', { antiProcyclicality: { kind: 'stress-period-floor', weight: 1.5 } }],
    ['liquidQuantity', { liquidity: { X: { liquidQuantity: 0, spreadFraction: 0, impactFraction: 0 } } }],
    ['spreadFraction', { liquidity: { X: { liquidQuantity: 1, spreadFraction: -1, impactFraction: 0 } } }],
    ['impactFraction', { liquidity: { X: { liquidQuantity: 1, spreadFraction: 0, impactFraction: Infinity } } }],
    ['maintenanceFactor', { maintenanceFactor: 0 }],
    ['volatilityFloor', { volatilityFloor: 0 }],
  ])('rejects a bad %s with INVALID_PARAMETERS naming it', (field, override) => {
    expectError(
      () => assertValidHistoricalEsParameters({ ...TEST_PARAMETERS, ...override }),
      'INVALID_PARAMETERS',
      field,
    );
  });
});

describe('buildHistoricalEsArrays preconditions', () => {
  const withHistory = (history: Map<string, number[]>, stressed?: Map<string, number[]>): HistoricalEsMarket => ({
    ...TEST_MARKET,
    returnHistory: history,
    stressedReturnHistory: stressed,
  });
  const btc = [...(TEST_MARKET.returnHistory.get('BTC') ?? [])];
  const eth = [...(TEST_MARKET.returnHistory.get('ETH') ?? [])];

  it('a missing underlying history is MISSING_MARKET_DATA', () => {
    expectError(
      () => buildHistoricalEsArrays(TEST_INSTRUMENTS, withHistory(new Map([['BTC', btc]])), TEST_PARAMETERS),
      'MISSING_MARKET_DATA',
      'ETH',
    );
  });

  it('series of unequal length (not aligned by date) are MISSING_MARKET_DATA', () => {
    const market = withHistory(
      new Map([
        ['BTC', btc],
        ['ETH', eth.slice(1)],
      ]),
    );
    expectError(
      () => buildHistoricalEsArrays(TEST_INSTRUMENTS, market, TEST_PARAMETERS),
      'MISSING_MARKET_DATA',
      'aligned',
    );
  });

  it('a non-finite return is MISSING_MARKET_DATA naming the day', () => {
    const broken = [...btc];
    broken[17] = Number.NaN;
    const market = withHistory(
      new Map([
        ['BTC', broken],
        ['ETH', eth],
      ]),
    );
    expectError(
      () => buildHistoricalEsArrays(TEST_INSTRUMENTS, market, TEST_PARAMETERS),
      'MISSING_MARKET_DATA',
      '[17]',
    );
  });

  it('a history too short for the look-back is MISSING_MARKET_DATA', () => {
    const parameters = { ...TEST_PARAMETERS, lookbackDays: TEST_HISTORY_DAYS };
    expectError(
      () => buildHistoricalEsArrays(TEST_INSTRUMENTS, TEST_MARKET, parameters),
      'MISSING_MARKET_DATA',
      'lookbackDays',
    );
  });

  it('the stress-period floor without a stressed history is MISSING_MARKET_DATA', () => {
    const parameters = {
      ...TEST_PARAMETERS,
      antiProcyclicality: { kind: 'stress-period-floor', weight: 0.25 } as const,
    };
    const market = withHistory(
      new Map([
        ['BTC', btc],
        ['ETH', eth],
      ]),
    );
    expectError(
      () => buildHistoricalEsArrays(TEST_INSTRUMENTS, market, parameters),
      'MISSING_MARKET_DATA',
      'stressedReturnHistory',
    );
  });

  it('an option without implied volatility is MISSING_MARKET_DATA', () => {
    const market = { ...TEST_MARKET, impliedVolatilities: new Map<string, number>() };
    expectError(
      () => buildHistoricalEsArrays(TEST_INSTRUMENTS, market, TEST_PARAMETERS),
      'MISSING_MARKET_DATA',
      'BTC-7D-60000-C',
    );
  });

  it('a duplicated instrument is INVALID_PARAMETERS', () => {
    const instruments = [...TEST_INSTRUMENTS, TEST_INSTRUMENTS[0] as Instrument];
    expectError(
      () => buildHistoricalEsArrays(instruments, TEST_MARKET, TEST_PARAMETERS),
      'INVALID_PARAMETERS',
      'BTC-PERP',
    );
  });
});

describe('historicalEsMargin preconditions', () => {
  const inverse: Instrument = {
    id: 'BTC-INVERSE-PERP',
    kind: 'inverse_perpetual',
    underlying: 'BTC',
    quoteAsset: 'USD',
    settlementAsset: 'BTC',
    contractSize: new Decimal(10),
  };
  const arrays = buildHistoricalEsArrays([...TEST_INSTRUMENTS, inverse], TEST_MARKET, TEST_PARAMETERS);
  const margin = (positions: { instrumentId: string; quantity: number }[], parameters = TEST_PARAMETERS) =>
    historicalEsMargin(positions, arrays, parameters);

  it('a NaN or infinite quantity is INVALID_POSITION', () => {
    expectError(() => margin([{ instrumentId: 'BTC-PERP', quantity: Number.NaN }]), 'INVALID_POSITION', 'BTC-PERP');
    expectError(() => margin([{ instrumentId: 'BTC-PERP', quantity: Infinity }]), 'INVALID_POSITION', 'BTC-PERP');
  });

  it('an unknown instrument is UNKNOWN_INSTRUMENT', () => {
    expectError(() => margin([{ instrumentId: 'DOGE-PERP', quantity: 1 }]), 'UNKNOWN_INSTRUMENT', 'DOGE-PERP');
  });

  it('the same instrument twice is INVALID_POSITION', () => {
    const positions = [
      { instrumentId: 'BTC-PERP', quantity: 1 },
      { instrumentId: 'BTC-PERP', quantity: 2 },
    ];
    expectError(() => margin(positions), 'INVALID_POSITION', 'twice');
  });

  it('USDC and BTC settled positions together are MIXED_SETTLEMENT_ASSETS', () => {
    const positions = [
      { instrumentId: 'BTC-PERP', quantity: 1 },
      { instrumentId: 'BTC-INVERSE-PERP', quantity: 1 },
    ];
    expectError(() => margin(positions), 'MIXED_SETTLEMENT_ASSETS', 'BTC');
  });

  it('an inverse contract alone is margined in BTC', () => {
    const result = margin([{ instrumentId: 'BTC-INVERSE-PERP', quantity: 100 }]);
    expect(result.settlementAsset).toBe('BTC');
    expect(result.initialMargin).toBeGreaterThan(0);
  });

  it('parameters that reshape the arrays are INVALID_PARAMETERS; add-on parameters may change per call', () => {
    expectError(() => margin([], { ...TEST_PARAMETERS, confidence: 0.99 }), 'INVALID_PARAMETERS', 'confidence');
    const buffered = { ...TEST_PARAMETERS, antiProcyclicality: { kind: 'buffer', bufferFraction: 0.25 } as const };
    expect(margin([{ instrumentId: 'BTC-PERP', quantity: 1 }], buffered).antiProcyclicalityAddOn).toBeGreaterThan(0);
    const floored = { ...TEST_PARAMETERS, antiProcyclicality: { kind: 'stress-period-floor', weight: 0.25 } as const };
    expectError(() => margin([{ instrumentId: 'BTC-PERP', quantity: 1 }], floored), 'MISSING_MARKET_DATA', 'stressed');
  });
});
