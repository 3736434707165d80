import { Decimal } from '@novation/money';
import type { LinearFuture } from '@novation/instruments';
import { span16Parameters } from './example-parameters.js';
import { portfolioScenarioMargin } from './portfolio-margin.js';
import type { RiskArrays } from './risk-arrays.js';
import { buildRiskArrays } from './risk-arrays.js';
import { expandScenarios } from './scenario-parameters.js';

// Golden cases from /work/shared/reference/cases.json, area "span". McMillan prints risk arrays profit
// positive (as our arrays are); CME files are loss positive. McMillan also prints the two extreme
// scenarios already multiplied by the 35% cover fraction, and rounds to $10.
const MCMILLAN = "L.G. McMillan, 'Options as a Strategic Investment' (4th ed.), ch. 34, pp. 668-671";

describe('SP-SCEN-01: CME SPAN 16 risk scenarios (CME pubspan "Risk Arrays"; LPU DCOM510 Table 12.1)', () => {
  const priceMove = [0, 0, 1 / 3, 1 / 3, -1 / 3, -1 / 3, 2 / 3, 2 / 3, -2 / 3, -2 / 3, 1, 1, -1, -1, 2, -2];
  const volMove = [1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 0, 0];
  const fractionPercent = [...Array<number>(14).fill(100), 35, 35];

  it('span16Parameters expands to the 16 scenarios in CME order', () => {
    const scenarios = expandScenarios(span16Parameters(0.06, 0.2));
    expect(scenarios).toHaveLength(16);
    scenarios.forEach((scenario, index) => {
      expect(scenario.priceShockFraction / 0.06).toBeCloseTo(priceMove[index] ?? Number.NaN, 12);
      expect(scenario.volatilityShockFraction / 0.2).toBeCloseTo(volMove[index] ?? Number.NaN, 12);
      expect(scenario.weight * 100).toBeCloseTo(fractionPercent[index] ?? Number.NaN, 12);
    });
  });
});

describe(`SP-MCM-01: 1 long S&P 500 future, $500/pt, scan range 20 pts (${MCMILLAN})`, () => {
  const published = [
    0, 0, 3330, 3330, -3330, -3330, 6670, 6670, -6670, -6670, 10000, 10000, -10000, -10000, 7000, -7000,
  ];
  const future: LinearFuture = {
    id: 'SP-DEC',
    kind: 'linear_future',
    underlying: 'SPX',
    quoteAsset: 'USD',
    settlementAsset: 'USD',
    contractSize: new Decimal(500),
    expiryEpochMs: 1_000_000_000,
  };
  const futuresPrice = 400;
  const parameters = span16Parameters(20 / futuresPrice, 0.1);
  const snapshot = {
    valuationEpochMs: 0,
    riskFreeRate: 0,
    underlyingPrices: new Map([['SPX', futuresPrice]]),
    impliedVolatilities: new Map<string, number>(),
  };
  const riskArrays = buildRiskArrays([future], snapshot, parameters);

  it('reproduces the printed risk array (weighted as printed, rounded to $10 as printed)', () => {
    const profits = riskArrays.profitPerContract[0] ?? new Float64Array();
    const printed = Array.from(profits, (profit, index) => {
      const weighted = profit * (riskArrays.scenarios[index]?.weight ?? Number.NaN);
      return Math.round(weighted / 10) * 10 + 0;
    });
    expect(printed).toEqual(published);
  });

  it('requires the largest loss, $10,000 (futures down 3/3)', () => {
    const result = portfolioScenarioMargin([{ instrumentId: 'SP-DEC', quantity: 1 }], riskArrays, parameters);
    expect(result.initialMargin).toBeCloseTo(10_000, 6);
    expect([12, 13]).toContain(result.bindingScenario?.index);
  });
});

describe(`SP-MCM-02: 1 long Dec 410 S&P futures call, exchange-supplied array (${MCMILLAN})`, () => {
  // Printed P&L per scenario; the extreme moves are already weighted, so they enter with weight 1 here.
  const published = [
    460, -610, 2640, 1730, -1270, -2340, 5210, 4540, -2540, -3430, 8060, 7640, -3380, -3990, 3130, -1500,
  ];
  const parameters = span16Parameters(0.05, 0.1);
  const riskArrays: RiskArrays = {
    scenarios: expandScenarios(parameters),
    instrumentIds: ['SP-DEC-410-C'],
    instrumentIndexById: new Map([['SP-DEC-410-C', 0]]),
    profitPerContract: [Float64Array.from(published)],
    weightedLossMatrix: Float64Array.from(published, (profit) => -profit),
    underlyings: ['SPX'],
    settlementAssets: ['USD'],
    underlyingNotionalPerContract: Float64Array.of(500 * 400),
    deltaNotionalPerContract: Float64Array.of(0),
    isOption: Uint8Array.of(1),
    isFuture: Uint8Array.of(0),
    strikeKeyIndexes: Int32Array.of(0),
    strikeKeyCount: 1,
  };

  it('requires $3,990, bound by scenario 14 "-3/3, vol down"', () => {
    const result = portfolioScenarioMargin([{ instrumentId: 'SP-DEC-410-C', quantity: 1 }], riskArrays, parameters);
    expect(result.initialMargin).toBe(3990);
    expect(result.bindingScenario?.index).toBe(13);
    expect(result.bindingScenario?.description).toBe('price -5%, vol -10%');
  });

  it('a short call is bound by the largest gain of the long: futures up 3/3, vol up', () => {
    const result = portfolioScenarioMargin([{ instrumentId: 'SP-DEC-410-C', quantity: -1 }], riskArrays, parameters);
    expect(result.initialMargin).toBe(8060);
    expect(result.bindingScenario?.index).toBe(10);
  });
});
