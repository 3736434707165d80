import { demoParameterSetBody } from '@novation/persistence';
import { parameterSetViolations } from './parameter-bounds.js';

const ASSETS = [
  { code: 'BTC', scale: 8 },
  { code: 'USDC', scale: 6 },
];
const INSTRUMENTS = [
  { id: 'perp-1', kind: 'perpetual', settlementType: 'linear', underlying: 'BTC-USD' },
] as unknown as Parameters<typeof demoParameterSetBody>[1];

describe('parameterSetViolations', () => {
  it('accepts the demo set', () => {
    expect(parameterSetViolations(demoParameterSetBody(ASSETS, INSTRUMENTS))).toEqual([]);
  });

  it('lists every schema issue, not only the first', () => {
    const body = { ...demoParameterSetBody(ASSETS, INSTRUMENTS), riskFreeRate: 5, extra: 1 };
    const fields = parameterSetViolations(body).map((violation) => violation.field);
    expect(fields).toEqual(expect.arrayContaining(['riskFreeRate', '(body)']));
  });

  it('enforces the hard bounds field by field', () => {
    const body = demoParameterSetBody(ASSETS, INSTRUMENTS);
    body.models.cross = 'historical-es';
    body.parameters.assets['BTC'] = { scale: 8, initialHaircut: '0.01', maintenanceHaircut: '0.02' };
    const tier = body.parameters.standard?.tiers['perp-1']?.[0];
    if (tier !== undefined) tier.maintenanceMarginFraction = '0.5';
    expect(parameterSetViolations(body)).toEqual([
      { field: 'parameters.historicalEs', message: 'required: models.cross is historical-es' },
      { field: 'parameters.assets.BTC.initialHaircut', message: 'must be >= maintenanceHaircut' },
      { field: 'parameters.standard.tiers.perp-1.0.initialMarginFraction', message: 'must be >= maintenance' },
    ]);
    body.models.cross = 'standard';
    body.parameters.historicalEs = {
      lookbackDays: 250,
      confidence: 0.975,
      measure: 'expected-shortfall',
      marginPeriodOfRiskDays: 2,
      horizonMethod: 'overlapping',
      filtering: { kind: 'none' },
      antiProcyclicality: { kind: 'buffer', bufferFraction: 0.2 },
      liquidity: {},
      maintenanceFactor: 0.8,
      volatilityFloor: 0.1,
    };
    expect(parameterSetViolations(body).map((violation) => violation.field)).toEqual(
      expect.arrayContaining([
        'parameters.historicalEs.confidence',
        'parameters.historicalEs.antiProcyclicality.bufferFraction',
      ]),
    );
  });
});
