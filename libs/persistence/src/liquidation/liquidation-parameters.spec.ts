import { DEFAULT_LIQUIDATION_PARAMETERS, liquidationParametersSchema } from '../margin/parameter-set-body.js';

describe('liquidation parameters of a risk parameter set', () => {
  it('accepts the defaults and a full block', () => {
    expect(liquidationParametersSchema.parse(DEFAULT_LIQUIDATION_PARAMETERS)).toEqual(DEFAULT_LIQUIDATION_PARAMETERS);
    const block = {
      penaltyFraction: '0.005',
      maxSliceFraction: '1',
      coolDownMs: 0,
      deficitMode: 'auto-deleveraging',
      conversionPriceAgeMsMax: 3_600_000,
    };
    expect(liquidationParametersSchema.parse(block)).toEqual(block);
    // A block stored before the conversion price age existed gets the 5-minute default.
    const { conversionPriceAgeMsMax: _absent, ...older } = block;
    expect(liquidationParametersSchema.parse(older)).toEqual({ ...older, conversionPriceAgeMsMax: 300_000 });
  });

  it.each([
    ['a penalty above 20%', { penaltyFraction: '0.25' }],
    ['a penalty as a number', { penaltyFraction: 0.01 }],
    ['a zero slice', { maxSliceFraction: '0' }],
    ['a slice above 1', { maxSliceFraction: '1.5' }],
    ['a cool-down above an hour', { coolDownMs: 3_600_001 }],
    ['a fractional cool-down', { coolDownMs: 1.5 }],
    ['an unknown deficit mode', { deficitMode: 'socialise' }],
    ['a zero conversion price age', { conversionPriceAgeMsMax: 0 }],
    ['a conversion price age above a day', { conversionPriceAgeMsMax: 86_400_001 }],
    ['an unknown field', { surprise: true }],
  ])('refuses %s', (_name, override) => {
    expect(liquidationParametersSchema.safeParse({ ...DEFAULT_LIQUIDATION_PARAMETERS, ...override }).success).toBe(
      false,
    );
  });
});
