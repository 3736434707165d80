import fc from 'fast-check';
import type { Instrument } from '@novation/instruments';
import { Decimal } from '@novation/money';
import { bookScenarioMargin } from './book-margin.js';
import { groupContingencies } from './contingency-charges.js';
import type { ScenarioMarketSnapshot } from './contract-valuer.js';
import { DERIBIT_STYLE_EXAMPLE_PARAMETERS } from './example-parameters.js';
import type { ScenarioPosition } from './portfolio-margin.js';
import { portfolioScenarioMargin } from './portfolio-margin.js';
import { buildRiskArrays } from './risk-arrays.js';
import type { ScenarioMarginParameters } from './scenario-parameters.js';

// CV-DERIBIT-08 (Deribit docs "Portfolio Margin", legacy parameter page,
// https://www.deribit.com/pages/docs/portfoliomargin): contingencies of 0.01 BTC per net short option per
// strike, and 1% of the underlying for offsetting futures. Case: at strike X, calls +10 and puts -20
// -> 0.1 BTC; long 100 BTC of future A and short 100 BTC of future B -> 1.0 BTC.
const DAY_MS = 86_400_000;
const PRICE = 50_000;

function inverseOption(id: string, optionType: 'call' | 'put'): Instrument {
  return {
    id,
    kind: 'european_option',
    underlying: 'BTC',
    quoteAsset: 'USD',
    settlementAsset: 'BTC',
    settlement: 'inverse',
    underlyingReference: 'spot',
    optionType,
    strikePrice: new Decimal(55_000),
    contractSize: new Decimal(1),
    expiryEpochMs: 30 * DAY_MS,
  };
}

/** An inverse future whose 50,000 USD face is 1 BTC of underlying at the snapshot price. */
function inverseFuture(id: string, days: number): Instrument {
  return {
    id,
    kind: 'inverse_future',
    underlying: 'BTC',
    quoteAsset: 'USD',
    settlementAsset: 'BTC',
    contractSize: new Decimal(PRICE),
    expiryEpochMs: days * DAY_MS,
  };
}

const INSTRUMENTS: readonly Instrument[] = [
  inverseOption('BTC-X-C', 'call'),
  inverseOption('BTC-X-P', 'put'),
  inverseFuture('BTC-A', 30),
  inverseFuture('BTC-B', 90),
];
const SNAPSHOT: ScenarioMarketSnapshot = {
  valuationEpochMs: 0,
  riskFreeRate: 0,
  underlyingPrices: new Map([['BTC', PRICE]]),
  impliedVolatilities: new Map([
    ['BTC-X-C', 0.6],
    ['BTC-X-P', 0.6],
  ]),
};
const LEGACY: ScenarioMarginParameters = {
  ...DERIBIT_STYLE_EXAMPLE_PARAMETERS,
  shortOptionChargeFraction: 0.01,
  shortOptionChargeBasis: 'net-per-strike',
  futuresOffsetChargeFraction: 0.01,
  netDeltaChargeFraction: 0,
  groupOffsets: [],
};
const CASE_POSITIONS: readonly ScenarioPosition[] = [
  { instrumentId: 'BTC-X-C', quantity: 10 },
  { instrumentId: 'BTC-X-P', quantity: -20 },
  { instrumentId: 'BTC-A', quantity: 100 },
  { instrumentId: 'BTC-B', quantity: -100 },
];

describe('CV-DERIBIT-08: Deribit legacy portfolio-margin contingencies', () => {
  const riskArrays = buildRiskArrays(INSTRUMENTS, SNAPSHOT, LEGACY);
  const holdings = CASE_POSITIONS.map((position) => ({
    index: riskArrays.instrumentIndexById.get(position.instrumentId) ?? -1,
    quantity: position.quantity,
  }));

  it('charges 0.1 BTC on the net short option at the strike and 1.0 BTC on the offsetting futures', () => {
    const charges = groupContingencies(holdings, riskArrays, LEGACY);
    expect(charges.shortOptionCharge).toBeCloseTo(0.1, 12);
    expect(charges.futuresOffsetCharge).toBeCloseTo(1.0, 12);
  });

  it('charges every short contract instead (0.2 BTC) under the per-contract basis', () => {
    const perContract = { ...LEGACY, shortOptionChargeBasis: 'per-contract' as const };
    expect(groupContingencies(holdings, riskArrays, perContract).shortOptionCharge).toBeCloseTo(0.2, 12);
  });

  it('adds both charges to the group IM on top of the scan loss', () => {
    const withCharges = portfolioScenarioMargin(CASE_POSITIONS, riskArrays, LEGACY);
    const group = withCharges.groups[0];
    expect(group?.shortOptionCharge).toBeCloseTo(0.1, 12);
    expect(group?.futuresOffsetCharge).toBeCloseTo(1.0, 12);
    expect(withCharges.initialMargin).toBeCloseTo((group?.scanLoss ?? 0) + 1.1, 12);
  });

  it('gives the same IM on the typed-array book path', () => {
    const positionArbitrary = fc.record({
      instrumentId: fc.constantFrom(...riskArrays.instrumentIds),
      quantity: fc.integer({ min: -50, max: 50 }),
    });
    fc.assert(
      fc.property(fc.array(fc.array(positionArbitrary, { maxLength: 8 }), { maxLength: 5 }), (accounts) => {
        const positions = accounts.flat();
        const accountStarts = Int32Array.from([
          0,
          ...accounts.map((_, index) => accounts.slice(0, index + 1).flat().length),
        ]);
        const book = {
          accountStarts,
          instrumentIndexes: Int32Array.from(
            positions,
            (p) => riskArrays.instrumentIndexById.get(p.instrumentId) ?? -1,
          ),
          quantities: Float64Array.from(positions, (position) => position.quantity),
        };
        const margins = bookScenarioMargin(book, riskArrays, LEGACY);
        accounts.forEach((account, index) => {
          const expected = portfolioScenarioMargin(account, riskArrays, LEGACY).initialMargin;
          expect(Math.abs((margins[index] ?? Number.NaN) - expected)).toBeLessThanOrEqual(1e-9 * (1 + expected));
        });
      }),
      { numRuns: 150, seed: 8 },
    );
  });

  it('stays positively homogeneous (the offset charge is not subadditive: merging a long and a short future creates it)', () => {
    const scaled = CASE_POSITIONS.map((position) => ({ ...position, quantity: position.quantity * 3 }));
    const base = portfolioScenarioMargin(CASE_POSITIONS, riskArrays, LEGACY).initialMargin;
    expect(portfolioScenarioMargin(scaled, riskArrays, LEGACY).initialMargin).toBeCloseTo(3 * base, 9);
  });
});
