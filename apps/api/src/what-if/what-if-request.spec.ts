import { Decimal } from '@novation/money';
import { computeMargin, parseMarginRequest, type MarginRequest } from '@novation/risk';
import { applyWhatIf } from './what-if-request.js';

const PERP = 'btc-perp';
const CALL = 'btc-call';

/** A linear BTC perpetual long 2 from 100000, and a BTC call, in a USDC account. */
function request(): MarginRequest {
  return parseMarginRequest({
    model: 'standard',
    parameterSetVersion: 'test-1',
    parameters: {
      assets: { USDC: { scale: 6, initialHaircut: '0', maintenanceHaircut: '0' } },
      standard: {
        tiers: {
          [PERP]: [
            { notionalFloor: '0', notionalCap: null, initialMarginFraction: '0.02', maintenanceMarginFraction: '0.01' },
          ],
        },
        options: {
          'BTC-USD': {
            initialMarginBaseFraction: '0.15',
            initialMarginFloorFraction: '0.1',
            maintenanceMarginFraction: '0.075',
          },
        },
      },
    },
    positions: [{ instrumentId: PERP, quantity: '2', averageEntryPrice: '100000' }],
    collateral: { marginAsset: 'USDC', holdings: [{ asset: 'USDC', amount: '50000' }] },
    marketSnapshot: {
      valuationEpochMs: 1_700_000_000_000,
      riskFreeRate: 0,
      instruments: [
        {
          kind: 'european_option',
          id: CALL,
          underlying: 'BTC-USD',
          quoteAsset: 'USDC',
          settlementAsset: 'USDC',
          contractSize: '1',
          settlement: 'linear',
          underlyingReference: 'spot',
          optionType: 'call',
          strikePrice: '100000',
          expiryEpochMs: 1_700_000_000_000 + 30 * 86_400_000,
        },
        {
          kind: 'linear_perpetual',
          id: PERP,
          underlying: 'BTC-USD',
          quoteAsset: 'USDC',
          settlementAsset: 'USDC',
          contractSize: '1',
        },
      ],
      underlyingPrices: { 'BTC-USD': '100000' },
      markPrices: { [PERP]: '101000', [CALL]: '5000' },
      impliedVolatilities: { [CALL]: 0.6 },
      assetPrices: {},
    },
  });
}

describe('applyWhatIf', () => {
  it('returns the request unchanged without trades or shocks', () => {
    const original = request();
    expect(applyWhatIf(original, { trades: [], priceShocks: [], volatilityShockFraction: 0 })).toEqual(original);
  });

  it('realises the PnL of a reducing trade into the settlement asset and keeps the entry price', () => {
    const adjusted = applyWhatIf(request(), {
      trades: [{ instrumentId: PERP, quantity: new Decimal('-0.5'), price: new Decimal('102000') }],
      priceShocks: [],
      volatilityShockFraction: 0,
    });
    expect(adjusted.positions).toEqual([{ instrumentId: PERP, quantity: '1.5', averageEntryPrice: '100000' }]);
    expect(adjusted.collateral.holdings).toEqual([{ asset: 'USDC', amount: '51000' }]);
  });

  it('opens an option at mark by paying its premium, and closes a position to nothing', () => {
    const adjusted = applyWhatIf(request(), {
      trades: [
        { instrumentId: CALL, quantity: new Decimal('2'), price: null },
        { instrumentId: PERP, quantity: new Decimal('-2'), price: null },
      ],
      priceShocks: [],
      volatilityShockFraction: 0,
    });
    expect(adjusted.positions).toEqual([{ instrumentId: CALL, quantity: '2', averageEntryPrice: '5000' }]);
    // 50000 - 2 x 5000 premium + 2 x (101000 - 100000) realised on the perpetual.
    expect(adjusted.collateral.holdings).toEqual([{ asset: 'USDC', amount: '42000' }]);
  });

  it('scales the index price, the perpetual mark and the implied vols, not the option mark', () => {
    const adjusted = applyWhatIf(request(), {
      trades: [],
      priceShocks: [{ underlying: 'BTC-USD', shockFraction: -0.2 }],
      volatilityShockFraction: 0.5,
    });
    expect(adjusted.marketSnapshot.underlyingPrices).toEqual({ 'BTC-USD': '80000' });
    expect(adjusted.marketSnapshot.markPrices).toEqual({ [PERP]: '80800', [CALL]: '5000' });
    expect(adjusted.marketSnapshot.impliedVolatilities[CALL]).toBeCloseTo(0.9, 12);
    expect(new Decimal(computeMargin(adjusted).equity).lessThan(computeMargin(request()).equity)).toBe(true);
  });

  it('refuses unknown instruments and underlyings, zero quantities and shocks of -100%', () => {
    const scenario = { trades: [], priceShocks: [], volatilityShockFraction: 0 };
    const refusal = (changes: Partial<Parameters<typeof applyWhatIf>[1]>) => () =>
      applyWhatIf(request(), { ...scenario, ...changes });
    expect(refusal({ trades: [{ instrumentId: 'nope', quantity: new Decimal(1), price: null }] })).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_INSTRUMENT', field: 'trades[0].instrumentId' }),
    );
    expect(refusal({ trades: [{ instrumentId: PERP, quantity: new Decimal(0), price: null }] })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCENARIO', field: 'trades[0].quantity' }),
    );
    expect(refusal({ priceShocks: [{ underlying: 'ETH-USD', shockFraction: 0.1 }] })).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_UNDERLYING' }),
    );
    expect(refusal({ priceShocks: [{ underlying: 'BTC-USD', shockFraction: -1 }] })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCENARIO', field: 'priceShocks[0].shockFraction' }),
    );
    expect(refusal({ volatilityShockFraction: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCENARIO', field: 'volatilityShockFraction' }),
    );
  });
});
