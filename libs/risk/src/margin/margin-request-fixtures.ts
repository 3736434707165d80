import type { MarginRequest } from './margin-request-schema.js';

/**
 * Small margin requests shared by the specs of this folder (not exported from the lib). Numbers are
 * chosen so every figure can be checked by hand; see the spec that uses each one.
 */
// 2026-11-25T00:00:00Z
const VALUATION_EPOCH_MS = 1_795_564_800_000;
const DAY_MS = 86_400_000;

export const USDC_BTC_ASSETS = {
  USDC: { scale: 6, initialHaircut: '0', maintenanceHaircut: '0' },
  BTC: { scale: 8, initialHaircut: '0.1', maintenanceHaircut: '0.05' },
} as const;

export function standardPerpetualRequest(): MarginRequest {
  return {
    model: 'standard',
    parameterSetVersion: 'test-1',
    parameters: {
      assets: { ...USDC_BTC_ASSETS },
      standard: {
        tiers: {
          'BTC-USDC-PERP': [
            { notionalFloor: '0', notionalCap: null, initialMarginFraction: '0.1', maintenanceMarginFraction: '0.05' },
          ],
          'BTC-USD-INVERSE': [
            { notionalFloor: '0', notionalCap: null, initialMarginFraction: '0.02', maintenanceMarginFraction: '0.01' },
          ],
        },
        options: {
          BTC: {
            initialMarginBaseFraction: '0.15',
            initialMarginFloorFraction: '0.1',
            maintenanceMarginFraction: '0.075',
          },
        },
      },
    },
    positions: [{ instrumentId: 'BTC-USDC-PERP', quantity: '2', averageEntryPrice: '50000' }],
    collateral: {
      marginAsset: 'USDC',
      holdings: [
        { asset: 'USDC', amount: '20000' },
        { asset: 'BTC', amount: '0.5' },
      ],
    },
    marketSnapshot: {
      valuationEpochMs: VALUATION_EPOCH_MS,
      riskFreeRate: 0,
      instruments: [
        {
          kind: 'linear_perpetual',
          id: 'BTC-USDC-PERP',
          underlying: 'BTC',
          quoteAsset: 'USDC',
          settlementAsset: 'USDC',
          contractSize: '1',
        },
        {
          kind: 'inverse_perpetual',
          id: 'BTC-USD-INVERSE',
          underlying: 'BTC',
          quoteAsset: 'USD',
          settlementAsset: 'BTC',
          contractSize: '10',
        },
        {
          kind: 'european_option',
          id: 'BTC-30D-60000-C',
          underlying: 'BTC',
          quoteAsset: 'USDC',
          settlementAsset: 'USDC',
          contractSize: '1',
          settlement: 'linear',
          underlyingReference: 'spot',
          optionType: 'call',
          strikePrice: '60000',
          expiryEpochMs: VALUATION_EPOCH_MS + 30 * DAY_MS,
        },
      ],
      underlyingPrices: { BTC: '52000' },
      markPrices: { 'BTC-USDC-PERP': '52000', 'BTC-USD-INVERSE': '52000', 'BTC-30D-60000-C': '1500' },
      impliedVolatilities: { 'BTC-30D-60000-C': 0.6 },
      assetPrices: { BTC: '52000' },
    },
  };
}

export function portfolioScenarioRequest(): MarginRequest {
  const base = standardPerpetualRequest();
  return {
    ...base,
    model: 'portfolio-scenario',
    parameters: {
      assets: base.parameters.assets,
      portfolioScenario: {
        priceShockFractions: [0, 0.05, -0.05, 0.1, -0.1],
        volatilityShockFractions: [0.25, -0.25],
        tailScenarios: [
          { priceShockFraction: 0.2, volatilityShockFraction: 0, weight: 0.35 },
          { priceShockFraction: -0.2, volatilityShockFraction: 0, weight: 0.35 },
        ],
        volatilityScaling: {
          referenceDays: 30,
          shortDatedThresholdDays: 0,
          shortDatedPower: 0,
          longDatedPower: 0,
          daysToExpiryMin: 1,
        },
        volatilityFloor: 0.01,
        shortOptionChargeFraction: 0.01,
        netDeltaChargeFraction: 0,
        maintenanceFactor: 0.8,
        groupOffsets: [],
      },
    },
    positions: [
      { instrumentId: 'BTC-USDC-PERP', quantity: '1', averageEntryPrice: '50000' },
      { instrumentId: 'BTC-30D-60000-C', quantity: '-3' },
    ],
  };
}

/** Deterministic daily log returns (a fixed-seed LCG through a sine), oldest first; 300 days per series. */
function fixtureReturns(seed: number, days: number): number[] {
  let state = seed;
  const returns: number[] = [];
  for (let day = 0; day < days; day += 1) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const uniform = state / 2_147_483_648;
    // A fat-ish left tail: most days within +-4%, one day in fifty a -12% move.
    returns.push(uniform < 0.02 ? -0.12 : Math.round(Math.sin(uniform * 1_000) * 400) / 10_000);
  }
  return returns;
}

export function historicalEsRequest(): MarginRequest {
  const base = portfolioScenarioRequest();
  return {
    ...base,
    model: 'historical-es',
    parameters: {
      assets: base.parameters.assets,
      historicalEs: {
        lookbackDays: 250,
        confidence: 0.975,
        measure: 'expected-shortfall',
        marginPeriodOfRiskDays: 2,
        horizonMethod: 'overlapping',
        filtering: { kind: 'ewma', decay: 0.97, seedWindowDays: 40 },
        antiProcyclicality: { kind: 'buffer', bufferFraction: 0.25 },
        liquidity: { 'BTC-30D-60000-C': { liquidQuantity: 2, spreadFraction: 0.001, impactFraction: 0.01 } },
        maintenanceFactor: 0.8,
        volatilityFloor: 0.05,
      },
    },
    marketSnapshot: { ...base.marketSnapshot, returnHistory: { BTC: fixtureReturns(7, 300) } },
  };
}
