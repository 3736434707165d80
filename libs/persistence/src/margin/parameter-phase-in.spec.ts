import {
  PHASE_IN_STEP_MS,
  interpolateParameterBodies,
  isPhaseInPeriodMs,
  phaseInParameterBody,
  phaseInStep,
  phaseInViolations,
  phaseInWeightText,
} from './parameter-phase-in.js';

const DAY_MS = 24 * PHASE_IN_STEP_MS;

/** A small body with every kind of leaf a parameter set has. */
function body(overrides: { imFraction?: string; confidence?: number; lookbackDays?: number; haircut?: string } = {}) {
  return {
    models: { cross: 'standard', isolated: 'standard', portfolio: 'historical-es' },
    parameters: {
      assets: { BTC: { scale: 8, initialHaircut: overrides.haircut ?? '0.1', maintenanceHaircut: '0.05' } },
      standard: {
        tiers: {
          perp: [
            {
              notionalFloor: '0',
              notionalCap: null as string | null,
              initialMarginFraction: overrides.imFraction ?? '0.02',
              maintenanceMarginFraction: '0.01',
            },
          ],
        },
      },
      historicalEs: {
        lookbackDays: overrides.lookbackDays ?? 250,
        confidence: overrides.confidence ?? 0.99,
        measure: 'expected-shortfall',
      },
    },
    assetIndex: { BTC: 'BTC-USD' },
    usdAssets: ['USDC'],
    riskFreeRate: 0,
    liquidation: { penaltyFraction: '0.01', coolDownMs: 1_000, deficitMode: 'default-waterfall' },
  };
}

describe('phase-in steps and weights', () => {
  it('counts whole hours from effectiveFrom and stops at the end of the period', () => {
    const period = 2 * DAY_MS;
    expect(phaseInStep(1_000, period, 999)).toBeUndefined();
    expect(phaseInStep(1_000, period, 1_000)).toEqual({ stepIndex: 0, stepCount: 48 });
    expect(phaseInStep(1_000, period, 1_000 + PHASE_IN_STEP_MS - 1)).toEqual({ stepIndex: 0, stepCount: 48 });
    expect(phaseInStep(1_000, period, 1_000 + PHASE_IN_STEP_MS)).toEqual({ stepIndex: 1, stepCount: 48 });
    expect(phaseInStep(1_000, period, 1_000 + DAY_MS)).toEqual({ stepIndex: 24, stepCount: 48 });
    expect(phaseInStep(1_000, period, 1_000 + period - 1)).toEqual({ stepIndex: 47, stepCount: 48 });
    expect(phaseInStep(1_000, period, 1_000 + period)).toBeUndefined();
  });

  it('labels weights rounded down to six places, never colliding for 90 days of hours', () => {
    expect(phaseInWeightText(0, 48)).toBe('0');
    expect(phaseInWeightText(24, 48)).toBe('0.5');
    expect(phaseInWeightText(1, 48)).toBe('0.020833');
    expect(phaseInWeightText(2159, 2160)).toBe('0.999537');
    const labels = new Set(Array.from({ length: 2160 }, (_, k) => phaseInWeightText(k, 2160)));
    expect(labels.size).toBe(2160);
  });

  it('accepts only whole days from 1 to 90', () => {
    expect(isPhaseInPeriodMs(DAY_MS)).toBe(true);
    expect(isPhaseInPeriodMs(90 * DAY_MS)).toBe(true);
    expect(isPhaseInPeriodMs(91 * DAY_MS)).toBe(false);
    expect(isPhaseInPeriodMs(DAY_MS + PHASE_IN_STEP_MS)).toBe(false);
    expect(isPhaseInPeriodMs(0)).toBe(false);
    expect(() => phaseInStep(0, 3 * PHASE_IN_STEP_MS, 0)).toThrow(RangeError);
  });
});

describe('interpolateParameterBodies', () => {
  const from = body();
  const to = body({ imFraction: '0.04', confidence: 0.995, lookbackDays: 500, haircut: '0.05' });

  it('is halfway at w = 24/48, exactly', () => {
    const mid = interpolateParameterBodies(from, to, 24, 48);
    // 0.02 + 0.5 x (0.04 - 0.02) = 0.03; 0.1 + 0.5 x (0.05 - 0.1) = 0.075; 0.99 + 0.5 x 0.005 = 0.9925.
    expect(mid.parameters.standard.tiers.perp[0]?.initialMarginFraction).toBe('0.03');
    expect(mid.parameters.assets.BTC.initialHaircut).toBe('0.075');
    expect(mid.parameters.historicalEs.confidence).toBe(0.9925);
    // Integers keep the old value until the end; equal leaves are untouched.
    expect(mid.parameters.historicalEs.lookbackDays).toBe(250);
    expect(mid.parameters.standard.tiers.perp[0]).toMatchObject({ notionalFloor: '0', notionalCap: null });
    expect(mid.parameters.standard.tiers.perp[0]?.maintenanceMarginFraction).toBe('0.01');
    expect(mid.liquidation).toEqual(from.liquidation);
    expect(mid.models).toEqual(from.models);
  });

  it('rounds half-up to eight places off the grid (w = 1/48 and 1/3)', () => {
    const first = interpolateParameterBodies(from, to, 1, 48);
    // 0.02 + 0.02 / 48 = 0.0204166666... -> 0.02041667; 0.1 - 0.05 / 48 = 0.0989583333... -> 0.09895833.
    expect(first.parameters.standard.tiers.perp[0]?.initialMarginFraction).toBe('0.02041667');
    expect(first.parameters.assets.BTC.initialHaircut).toBe('0.09895833');
    // 0.99 + 0.005 / 48 = 0.990104166666666666... -> 15 significant digits.
    expect(first.parameters.historicalEs.confidence).toBe(0.990104166666667);
    const third = interpolateParameterBodies(body({ imFraction: '0.01' }), body({ imFraction: '0.015' }), 1, 3);
    // 0.01 + 0.005 / 3 = 0.011666... -> 0.01166667.
    expect(third.parameters.standard.tiers.perp[0]?.initialMarginFraction).toBe('0.01166667');
  });

  it('keeps the old body at w = 0 and moves monotonically, never past the new value', () => {
    expect(interpolateParameterBodies(from, to, 0, 48)).toEqual(from);
    let previous = interpolateParameterBodies(from, to, 0, 240);
    for (let k = 1; k < 240; k += 1) {
      const next = interpolateParameterBodies(from, to, k, 240);
      const [before, after] = [previous.parameters, next.parameters];
      expect(Number(after.standard.tiers.perp[0]?.initialMarginFraction)).toBeGreaterThanOrEqual(
        Number(before.standard.tiers.perp[0]?.initialMarginFraction),
      );
      expect(Number(after.assets.BTC.initialHaircut)).toBeLessThanOrEqual(Number(before.assets.BTC.initialHaircut));
      expect(after.historicalEs.confidence).toBeGreaterThanOrEqual(before.historicalEs.confidence);
      previous = next;
    }
    expect(Number(previous.parameters.standard.tiers.perp[0]?.initialMarginFraction)).toBeLessThanOrEqual(0.04);
    expect(Number(previous.parameters.assets.BTC.initialHaircut)).toBeGreaterThanOrEqual(0.05);
  });

  it('refuses steps outside [0, N) and bodies of different structure', () => {
    expect(() => interpolateParameterBodies(from, to, 48, 48)).toThrow(RangeError);
    expect(() => interpolateParameterBodies(from, to, -1, 48)).toThrow(RangeError);
    expect(() => interpolateParameterBodies(from, { ...to, riskFreeRate: '0' } as unknown as typeof to, 1, 48)).toThrow(
      /riskFreeRate/,
    );
  });
});

describe('phaseInParameterBody', () => {
  const input = {
    version: 'v2',
    body: body({ imFraction: '0.04' }),
    effectiveFromMs: 10 * DAY_MS,
    periodMs: 2 * DAY_MS,
    fromVersion: 'v1',
    fromBody: body(),
  };

  it('labels the interpolated body with its weight during the period only', () => {
    const mid = phaseInParameterBody(input, 11 * DAY_MS);
    expect(mid.version).toBe('v2@phase-0.5');
    expect(mid.body.parameters.standard.tiers.perp[0]?.initialMarginFraction).toBe('0.03');
    expect(mid.phaseIn).toEqual({
      setVersion: 'v2',
      fromVersion: 'v1',
      periodMs: 2 * DAY_MS,
      stepIndex: 24,
      stepCount: 48,
      weight: '0.5',
    });
    const after = phaseInParameterBody(input, 12 * DAY_MS);
    expect(after).toEqual({ version: 'v2', body: input.body });
  });
});

describe('phaseInViolations', () => {
  it('is empty for the same structure with other numbers', () => {
    expect(phaseInViolations(body(), body({ imFraction: '0.05', lookbackDays: 10, confidence: 0.999 }))).toEqual([]);
  });

  it('lists every structural difference, field by field', () => {
    const from = body();
    const to = body();
    to.models.portfolio = 'portfolio-scenario';
    to.parameters.standard.tiers.perp.push({ ...body().parameters.standard.tiers.perp[0], notionalFloor: '1' });
    to.parameters.standard.tiers = {
      ...to.parameters.standard.tiers,
      other: [],
    } as typeof to.parameters.standard.tiers;
    to.assetIndex.BTC = 'XBT-USD';
    to.usdAssets = ['USDT'];
    to.liquidation.deficitMode = 'auto-deleveraging';
    const changedCap = body();
    changedCap.parameters.standard.tiers.perp = [{ ...from.parameters.standard.tiers.perp[0], notionalCap: '1000000' }];
    expect(phaseInViolations(from, to).map((violation) => violation.field)).toEqual([
      'assetIndex.BTC',
      'liquidation.deficitMode',
      'models.portfolio',
      'parameters.standard.tiers.other',
      'parameters.standard.tiers.perp',
      'usdAssets.0',
    ]);
    expect(phaseInViolations(from, changedCap)).toEqual([
      {
        field: 'parameters.standard.tiers.perp.0.notionalCap',
        message: 'null -> "1000000": not numeric, must be equal to phase in',
      },
    ]);
    expect(phaseInViolations({ riskFreeRate: 0 }, { riskFreeRate: '0' })[0]?.field).toBe('riskFreeRate');
  });
});
