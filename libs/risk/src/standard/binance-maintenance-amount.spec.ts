import { Decimal } from '@novation/money';
import type { MarginTier } from './margin-tier.js';
import { maintenanceAmounts } from './tier-amounts.js';
import { tieredMarginRequirement } from './tiered-margin.js';

// Reference case CV-BINANCE-01. Source: Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M
// Futures Contracts", https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93
// cum_n = floor_n x (MMR_n - MMR_{n-1}) + cum_{n-1}; BTCUSDT level 3: floor 250,000, MMR 1%, level 2
// MMR 0.5% with cum 50 -> maintenance amount 1,300 (exact). The FAQ also says a 264,000 USDT position
// has MMR 1% and a 500,000 USDT position has maintenance amount 1,300; MM = notional x MMR - amount.
//
// Levels 1-2 are the BTCUSDT table of the FAQ's time: level 1 [0, 50,000) MMR 0.4% (so level 2's cum is
// 50,000 x 0.1% = 50, as the case states). Initial fractions are 1 / max leverage (125x, 100x, 50x, 20x).
function tier(floor: number, cap: number | null, initial: string, maintenance: string): MarginTier {
  return {
    notionalFloor: new Decimal(floor),
    notionalCap: cap === null ? null : new Decimal(cap),
    initialMarginFraction: new Decimal(initial),
    maintenanceMarginFraction: new Decimal(maintenance),
  };
}

const btcUsdtTiers: readonly MarginTier[] = [
  tier(0, 50_000, '0.008', '0.004'),
  tier(50_000, 250_000, '0.01', '0.005'),
  tier(250_000, 1_000_000, '0.02', '0.01'),
  tier(1_000_000, null, '0.05', '0.025'),
];

function requirement(notional: number) {
  return tieredMarginRequirement({
    notional: new Decimal(notional),
    tiers: btcUsdtTiers,
    openInterestScaling: null,
    openInterestNotional: null,
    scale: 8,
  });
}

describe('Binance USDⓈ-M maintenance amount (CV-BINANCE-01)', () => {
  it('level 2 cum is 50 and level 3 cum is 250,000 x (1% - 0.5%) + 50 = 1,300', () => {
    const amounts = maintenanceAmounts(btcUsdtTiers).map((amount) => amount.toFixed());
    expect(amounts.slice(0, 3)).toEqual(['0', '50', '1300']);
  });

  it('a 264,000 USDT position is in level 3 with MMR 1%', () => {
    const result = requirement(264_000);
    expect(result.tierIndex).toBe(2);
    expect(btcUsdtTiers[result.tierIndex]?.maintenanceMarginFraction.toFixed()).toBe('0.01');
  });

  it('a 500,000 USDT position has maintenance amount 1,300 and MM = 500,000 x 1% - 1,300 = 3,700', () => {
    const result = requirement(500_000);
    expect(result.maintenanceAmount.toFixed()).toBe('1300');
    expect(result.maintenanceMargin.toFixed()).toBe('3700');
  });

  it('the requirement is continuous at every tier floor', () => {
    for (const floor of [50_000, 250_000, 1_000_000]) {
      const below = requirement(floor - 1e-6);
      const at = requirement(floor);
      expect(at.maintenanceMargin.sub(below.maintenanceMargin).abs().lte('0.0001')).toBe(true);
      expect(at.initialMargin.sub(below.initialMargin).abs().lte('0.0001')).toBe(true);
    }
  });
});
