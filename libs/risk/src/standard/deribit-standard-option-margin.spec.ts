import { Decimal } from '@novation/money';
import { standardOptionMargin, type StandardOptionMarginInput } from './option-margin.js';

// Deribit standard option margin (Deribit "Margin requirements - options"; a = 0.15, b = 0.1, c = 0.075
// for BTC). No reference case publishes numbers for it (CV-DERIBIT-08, the legacy portfolio-margin
// contingencies, is tested in scenario/deribit-legacy-contingencies.spec.ts), so every expected value
// below is computed by hand in its comment.
const deribitBtc = {
  initialMarginBaseFraction: new Decimal('0.15'),
  initialMarginFloorFraction: new Decimal('0.1'),
  maintenanceMarginFraction: new Decimal('0.075'),
};

function margin(overrides: Partial<StandardOptionMarginInput>) {
  return standardOptionMargin({
    optionType: 'call',
    settlement: 'inverse',
    quantity: new Decimal(-1),
    strikePrice: new Decimal(60000),
    underlyingPrice: new Decimal(50000),
    optionMarkPrice: new Decimal('0.01'),
    parameters: deribitBtc,
    scale: 8,
    ...overrides,
  });
}

describe('Deribit standard option margin', () => {
  it('short OTM call: IM = max(0.15 - 10,000 / 50,000, 0.1) + 0.01 = 0.11 BTC; MM = 0.075 + 0.01 = 0.085', () => {
    const result = margin({ quantity: new Decimal(-2) });
    expect(result.initialMargin.toFixed()).toBe('0.22');
    expect(result.maintenanceMargin.toFixed()).toBe('0.17');
  });

  it('short ITM call (OTM amount 0): IM = 0.15 + 0.12 = 0.27; MM = 0.075 + 0.12 = 0.195', () => {
    const result = margin({ strikePrice: new Decimal(45000), optionMarkPrice: new Decimal('0.12') });
    expect(result.initialMargin.toFixed()).toBe('0.27');
    expect(result.maintenanceMargin.toFixed()).toBe('0.195');
  });

  it('short OTM put, K 40,000 (OTM = S - K = 10,000): IM = 0.1 + 0.005 = 0.105; MM = max(0.075, 0.000375) + 0.005 = 0.08', () => {
    const result = margin({
      optionType: 'put',
      strikePrice: new Decimal(40000),
      optionMarkPrice: new Decimal('0.005'),
    });
    expect(result.initialMargin.toFixed()).toBe('0.105');
    expect(result.maintenanceMargin.toFixed()).toBe('0.08');
  });

  it('deep ITM inverse put, mark 3 BTC: MM = max(0.075, 0.225) + 3 = 3.225 binds the IM (0.15 + 3 = 3.15)', () => {
    const result = margin({ optionType: 'put', strikePrice: new Decimal(200000), optionMarkPrice: new Decimal(3) });
    expect(result.maintenanceMargin.toFixed()).toBe('3.225');
    expect(result.initialMargin.toFixed()).toBe('3.225');
  });

  it('long options require their premium and nothing beyond it: IM = MM = 3 x 0.01 = 0.03', () => {
    const result = margin({ quantity: new Decimal(3) });
    expect(result.initialMargin.toFixed()).toBe('0.03');
    expect(result.maintenanceMargin.toFixed()).toBe('0.03');
  });

  it('linear (USDC) short call scales by S: S 200, K 250, mark 2, qty 10 -> IM = (0.1 + 0.01) x 200 x 10 = 220, MM = 170', () => {
    const result = margin({
      settlement: 'linear',
      quantity: new Decimal(-10),
      strikePrice: new Decimal(250),
      underlyingPrice: new Decimal(200),
      optionMarkPrice: new Decimal(2),
      scale: 6,
    });
    expect(result.initialMargin.toFixed()).toBe('220');
    expect(result.maintenanceMargin.toFixed()).toBe('170');
  });

  it('rounds requirements up: 0.1 + 1/3 BTC per contract at scale 8 is 0.43333334', () => {
    const result = margin({ optionMarkPrice: new Decimal(1).div(3) });
    expect(result.initialMargin.toFixed()).toBe('0.43333334');
  });

  it('rejects parameters whose maintenance fraction exceeds the initial floor', () => {
    expect(() => margin({ parameters: { ...deribitBtc, maintenanceMarginFraction: new Decimal('0.2') } })).toThrow(
      /maintenanceMarginFraction must be <= initialMarginFloorFraction/,
    );
  });
});
