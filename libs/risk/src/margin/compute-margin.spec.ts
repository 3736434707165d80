import fc from 'fast-check';
import { Decimal } from '@novation/money';
import { buildRiskArrays } from '../scenario/risk-arrays.js';
import { portfolioScenarioMargin } from '../scenario/portfolio-margin.js';
import { scenarioMarginToDecimal } from '../scenario/margin-to-decimal.js';
import { ENGINE_VERSION } from '../receipt/margin-receipt.js';
import { computeMargin, parseMarginRequest } from './compute-margin.js';
import { buildMarginContext } from './margin-context.js';
import { MarginError } from './margin-error.js';
import { historicalEsRequest, portfolioScenarioRequest, standardPerpetualRequest } from './margin-request-fixtures.js';
import { buildHistoricalEsArrays } from '../historical-es/historical-es-arrays.js';
import { historicalEsMargin } from '../historical-es/historical-es-margin.js';
import { historicalEsMarket } from './historical-es-model.js';
import type { MarginRequest } from './margin-request-schema.js';
import { scenarioSnapshot } from './portfolio-scenario-model.js';

function expectMarginError(action: () => unknown, code: string, field?: string): void {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(MarginError);
    expect((error as MarginError).code).toBe(code);
    if (field !== undefined) expect((error as MarginError).field).toBe(field);
    return;
  }
  throw new Error(`expected MarginError ${code}`);
}

describe('computeMargin, standard model', () => {
  // Long 2 BTC-USDC-PERP (size 1) from 50,000, mark 52,000: notional 104,000, tier 10% / 5%.
  // Collateral 20,000 USDC + 0.5 BTC at 52,000 (26,000) with haircuts 10% (IM) / 5% (MM).
  const result = computeMargin(parseMarginRequest(standardPerpetualRequest()));

  it('values collateral with separate IM and MM haircuts and adds the unrealised PnL', () => {
    expect(result.collateral.marketValue).toBe('46000');
    expect(result.collateral.initialMarginValue).toBe('43400'); // 20,000 + 26,000 x 0.9
    expect(result.collateral.maintenanceMarginValue).toBe('44700'); // 20,000 + 26,000 x 0.95
    expect(result.positions[0]?.equityContribution).toBe('4000'); // 2 x (52,000 - 50,000)
    expect(result.equity).toBe('50000');
    expect(result.equityForInitialMargin).toBe('47400');
    expect(result.equityForMaintenanceMargin).toBe('48700');
  });

  it('takes IM and MM from the tier table and reports the breakdown by position and component', () => {
    expect(result.initialMargin).toBe('10400');
    expect(result.maintenanceMargin).toBe('5200');
    expect(result.positions[0]?.initialMargin).toBe('10400');
    expect(result.groups[0]?.components).toEqual([
      { name: 'tiered_futures', initialMargin: '10400', maintenanceMargin: '5200' },
      { name: 'standard_options', initialMargin: '0', maintenanceMargin: '0' },
    ]);
    expect(result.initialMarginHeadroom).toBe('37000');
    expect(result.marginRatio).toBe('9.365384'); // 48,700 / 5,200 rounded down
    expect(result.status).toBe('healthy');
    expect(result.engineVersion).toBe(ENGINE_VERSION);
  });

  it('reports a margin call between MM and IM, and liquidation below MM', () => {
    const request = standardPerpetualRequest();
    const withHoldings = (usdc: string): MarginRequest => ({
      ...request,
      collateral: { marginAsset: 'USDC', holdings: [{ asset: 'USDC', amount: usdc }] },
    });
    // Equity = USDC + 4,000 PnL; IM 10,400, MM 5,200.
    expect(computeMargin(withHoldings('6400')).status).toBe('healthy');
    expect(computeMargin(withHoldings('6399.999999')).status).toBe('below_initial_margin');
    expect(computeMargin(withHoldings('1200')).status).toBe('below_initial_margin');
    expect(computeMargin(withHoldings('1199.999999')).status).toBe('below_maintenance_margin');
  });

  it('margins an inverse position in coin and converts it to the margin asset, requirement rounded up', () => {
    const request = standardPerpetualRequest();
    // Short 1,000 contracts of 10 USD from 50,000: coin notional 10,000 / 52,000 = 0.19230769... BTC.
    const inverse: MarginRequest = {
      ...request,
      positions: [{ instrumentId: 'BTC-USD-INVERSE', quantity: '-1000', averageEntryPrice: '50000' }],
    };
    const margin = computeMargin(inverse);
    const group = margin.groups[0];
    expect(group?.settlementAsset).toBe('BTC');
    expect(group?.initialMargin).toBe('0.00384616'); // 0.1923076923 x 2% = 0.0038461538 rounded up to 8 places
    expect(group?.initialMarginInMarginAsset).toBe('200.00032'); // 0.00384616 x 52,000
    // PnL of the short: -1,000 x 10 x (1/50,000 - 1/52,000) = -0.00769230769... BTC, rounded toward -inf.
    expect(margin.positions[0]?.equityContribution).toBe('-0.00769231');
    expect(group?.equityContribution).toBe('-400.00012'); // -0.00769231 x 52,000
  });

  it('charges a short option the Deribit-style standard margin', () => {
    const request = standardPerpetualRequest();
    // Short 1 linear call K=60,000, S=52,000, mark 1,500: IM = max(0.15 - 8,000/52,000, 0.1) x S + mark
    // = 0.1 x 52,000 + 1,500 = 6,700; MM = 0.075 x 52,000 + 1,500 = 5,400. Value -1,500 in equity.
    const margin = computeMargin({ ...request, positions: [{ instrumentId: 'BTC-30D-60000-C', quantity: '-1' }] });
    expect(margin.initialMargin).toBe('6700');
    expect(margin.maintenanceMargin).toBe('5400');
    expect(margin.positions[0]?.equityContribution).toBe('-1500');
  });
});

describe('computeMargin, portfolio-scenario model', () => {
  it('gives the same IM and MM as the scenario library called directly, rounded up once', () => {
    const request = parseMarginRequest(portfolioScenarioRequest());
    const parameters = request.parameters.portfolioScenario;
    if (parameters === undefined) throw new Error('fixture has no scenario parameters');
    const context = buildMarginContext(request);
    const arrays = buildRiskArrays(
      context.positions.map((position) => position.instrument),
      scenarioSnapshot(context),
      parameters,
    );
    const direct = portfolioScenarioMargin(
      [
        { instrumentId: 'BTC-USDC-PERP', quantity: 1 },
        { instrumentId: 'BTC-30D-60000-C', quantity: -3 },
      ],
      arrays,
      parameters,
    );
    const margin = computeMargin(request);
    expect(margin.initialMargin).toBe(scenarioMarginToDecimal(direct.initialMargin, 6).toFixed());
    expect(margin.maintenanceMargin).toBe(scenarioMarginToDecimal(direct.maintenanceMargin, 6).toFixed());
    expect(margin.groups[0]?.scenario?.bindingScenario).toEqual(direct.bindingScenario);
    expect(margin.groups[0]?.scenario?.scenarioLosses).toHaveLength(12);
    const shortCharge = margin.groups[0]?.components.find((component) => component.name === 'short_option_charge');
    expect(shortCharge?.initialMargin).toBe('1560'); // 3 x 52,000 x 1%
  });

  it('is positively homogeneous in the quantities (to the rounding unit)', () => {
    const request = parseMarginRequest(portfolioScenarioRequest());
    const base = new Decimal(computeMargin(request).initialMargin);
    const scaled = computeMargin({
      ...request,
      positions: request.positions.map((position) => ({
        ...position,
        quantity: new Decimal(position.quantity).times(3).toFixed(),
      })),
    });
    expect(new Decimal(scaled.initialMargin).minus(base.times(3)).abs().lte('0.000003')).toBe(true);
  });
});

describe('computeMargin, historical-es model', () => {
  it('gives the ES library result plus its add-ons, rounded up once, with the tail scenarios', () => {
    const request = parseMarginRequest(historicalEsRequest());
    const parameters = request.parameters.historicalEs;
    if (parameters === undefined) throw new Error('fixture has no ES parameters');
    const context = buildMarginContext(request);
    const arrays = buildHistoricalEsArrays(
      context.positions.map((position) => position.instrument),
      historicalEsMarket(context),
      parameters,
    );
    const direct = historicalEsMargin(
      [
        { instrumentId: 'BTC-USDC-PERP', quantity: 1 },
        { instrumentId: 'BTC-30D-60000-C', quantity: -3 },
      ],
      arrays,
      parameters,
    );
    const margin = computeMargin(request);
    expect(margin.initialMargin).toBe(scenarioMarginToDecimal(direct.initialMargin, 6).toFixed());
    expect(margin.maintenanceMargin).toBe(scenarioMarginToDecimal(direct.maintenanceMargin, 6).toFixed());
    // The 25% buffer (EMIR art. 28(1)(a)) is reported as its own component.
    expect(direct.antiProcyclicalityAddOn).toBeCloseTo(direct.riskMeasure * 0.25, 9);
    expect(direct.liquidityAddOn).toBeGreaterThan(0); // short 3 calls against a liquid quantity of 2
    const group = margin.groups[0];
    expect(group?.components.map((component) => component.name)).toEqual([
      'expected_shortfall',
      'anti_procyclicality',
      'liquidity_add_on',
    ]);
    // 250 scenarios at 97.5%: k = ceil(6.25) = 7 tail scenarios.
    expect(group?.scenario?.tailScenarioIndexes).toHaveLength(7);
  });

  it('refuses a request without a return history', () => {
    const request = historicalEsRequest();
    const { returnHistory: _omitted, ...snapshot } = request.marketSnapshot;
    expectMarginError(() => computeMargin({ ...request, marketSnapshot: snapshot }), 'MISSING_MARKET_DATA');
  });
});

describe('computeMargin, bad requests', () => {
  it('names the offending field of a malformed request', () => {
    const raw = standardPerpetualRequest() as unknown as { positions: { quantity: unknown }[] };
    const first = raw.positions[0];
    if (first !== undefined) first.quantity = '1e3';
    expectMarginError(() => parseMarginRequest(raw), 'INVALID_REQUEST', 'positions.0.quantity');
    expectMarginError(
      () => parseMarginRequest({ ...standardPerpetualRequest(), extra: 1 }),
      'INVALID_REQUEST',
      'extra',
    );
    expectMarginError(
      () => parseMarginRequest({ ...standardPerpetualRequest(), model: 'historical-es' }),
      'INVALID_REQUEST',
      'parameters.historicalEs',
    );
  });

  it('refuses unknown instruments, missing marks, missing tiers, missing asset prices and zero positions', () => {
    const request = standardPerpetualRequest();
    expectMarginError(
      () =>
        computeMargin({ ...request, positions: [{ instrumentId: 'ETH-PERP', quantity: '1', averageEntryPrice: '1' }] }),
      'UNKNOWN_INSTRUMENT',
      'positions.0.instrumentId',
    );
    expectMarginError(
      () => computeMargin({ ...request, marketSnapshot: { ...request.marketSnapshot, markPrices: {} } }),
      'MISSING_MARKET_DATA',
    );
    expectMarginError(
      () => computeMargin({ ...request, parameters: { ...request.parameters, standard: { tiers: {}, options: {} } } }),
      'MISSING_PARAMETERS',
      'parameters.standard.tiers.BTC-USDC-PERP',
    );
    expectMarginError(
      () => computeMargin({ ...request, marketSnapshot: { ...request.marketSnapshot, assetPrices: {} } }),
      'MISSING_PRICE',
    );
    expectMarginError(
      () =>
        computeMargin({
          ...request,
          positions: [{ instrumentId: 'BTC-USDC-PERP', quantity: '0', averageEntryPrice: '1' }],
        }),
      'INVALID_POSITION',
    );
    expectMarginError(() => computeMargin({ ...request, engineVersion: '0.9.0' }), 'ENGINE_VERSION_MISMATCH');
  });
});

describe('computeMargin properties', () => {
  it('keeps IM >= MM >= 0 and classifies the status consistently', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -50, max: 50 }).filter((quantity) => quantity !== 0),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 100_000 }),
        (quantity, markThousands, usdc) => {
          const request = standardPerpetualRequest();
          const margin = computeMargin({
            ...request,
            positions: [{ instrumentId: 'BTC-USDC-PERP', quantity: String(quantity), averageEntryPrice: '50000' }],
            collateral: { marginAsset: 'USDC', holdings: [{ asset: 'USDC', amount: String(usdc) }] },
            marketSnapshot: {
              ...request.marketSnapshot,
              markPrices: { ...request.marketSnapshot.markPrices, 'BTC-USDC-PERP': String(markThousands * 1000) },
            },
          });
          const initialMargin = new Decimal(margin.initialMargin);
          const maintenanceMargin = new Decimal(margin.maintenanceMargin);
          expect(initialMargin.gte(maintenanceMargin)).toBe(true);
          expect(maintenanceMargin.gte(0)).toBe(true);
          const healthy = new Decimal(margin.equityForInitialMargin).gte(initialMargin);
          expect(margin.status === 'healthy').toBe(healthy);
        },
      ),
      { numRuns: 200 },
    );
  });
});
