import { Decimal } from '@novation/money';
import type { EuropeanOption, Instrument, LinearPerpetual } from '@novation/instruments';
import { ClearingError } from '../clearing-error.js';
import { assertBalancedEntry } from '../ledger-draft.js';
import { liquidationTransferEntry } from './liquidation-fee.js';
import { planLiquidationSlice } from './plan-liquidation-slice.js';
import type { LiquidationPosition, PlanLiquidationSliceInput } from './plan-liquidation-slice.js';

const d = (value: string | number): Decimal => new Decimal(value);

/** A USDC account's book: a linear perpetual settled in USDC and an inverse option settled in BTC. */
const perp: LinearPerpetual = {
  kind: 'linear_perpetual',
  id: 'BTC-PERP',
  underlying: 'BTC-USD',
  quoteAsset: 'USDC',
  settlementAsset: 'USDC',
  contractSize: d(1),
};
const inverseCall: EuropeanOption = {
  kind: 'european_option',
  id: 'BTC-70000-C',
  underlying: 'BTC-USD',
  quoteAsset: 'BTC',
  settlementAsset: 'BTC',
  contractSize: d(1),
  settlement: 'inverse',
  underlyingReference: 'spot',
  optionType: 'call',
  strikePrice: d(70_000),
  expiryEpochMs: Date.UTC(2027, 0, 29, 8),
};
const instruments: Record<string, Instrument> = { [perp.id]: perp, [inverseCall.id]: inverseCall };
/** BTC at 60,000 USDC; USDC at 6 places, BTC at 8. */
const settlementAssets = {
  USDC: { scale: 6, priceInMarginAsset: d(1) },
  BTC: { scale: 8, priceInMarginAsset: d(60_000) },
};

const perpLong: LiquidationPosition = {
  instrumentId: perp.id,
  instrument: perp,
  quantity: d(1),
  markPrice: d(60_000),
  initialMarginContribution: d(1_200),
};

function plan(positions: LiquidationPosition[], target: string, overrides: Partial<PlanLiquidationSliceInput> = {}) {
  return planLiquidationSlice({
    accountId: 'member-7',
    positions,
    maxSliceFraction: d('0.5'),
    liquidationPenaltyFraction: d('0.01'),
    targetRequirementReduction: d(target),
    quantitySteps: { [perp.id]: d('0.001'), [inverseCall.id]: d('0.1') },
    settlementAssetScale: 6,
    settlementAssets,
    ...overrides,
  });
}

describe('liquidation of a book settled in two assets', () => {
  it('ranks closes by requirement per cost with the cost valued in the margin asset', () => {
    // The perpetual frees 1,200 per contract for a penalty of 600 USDC: 2 per unit of cost. The option frees
    // 50 USDC per contract (100 for 2) for 0.01 x 0.05 = 0.0005 BTC = 30 USDC: 1.67. The perpetual goes
    // first and its 0.25 (300 / 1,200) reaches the target. Compared in raw units (0.0005 "of something"),
    // the option would have ranked first.
    const option: LiquidationPosition = {
      instrumentId: inverseCall.id,
      instrument: inverseCall,
      quantity: d(2),
      markPrice: d('0.05'),
      initialMarginContribution: d(100),
    };
    const closes = plan([option, perpLong], '300').closes;
    expect(closes.map((close) => [close.instrumentId, close.closeQuantity.toFixed(), close.penalty.toFixed()])).toEqual(
      [[perp.id, '-0.25', '150']],
    );
    const unconverted = plan([option, perpLong], '300', { settlementAssets: undefined }).closes;
    expect(unconverted[0]?.instrumentId).toBe(inverseCall.id);
  });

  it('posts each close in its own settlement asset at that asset scale, in one entry balanced per asset', () => {
    // The option (a long's requirement is its premium value: 2 x 0.04321987 BTC = 5,186.38 USDC, 2,593.19
    // per contract, penalty 0.0004321987 BTC = 25.93 USDC per contract) ranks first: 1 (the cap) sold at
    // 0.04321987 x 0.99 = 0.0427876713, proceeds 0.04278767 (BTC scale 8, rounded down), the liquidation
    // account pays the 0.04321987 at mark, the fund keeps 0.0004322 BTC. The perpetual follows: 0.5 (cap)
    // sold at 59,400 from an entry of 100,000: PnL at mark -20,000 to the liquidation account, penalty 300.
    const option: LiquidationPosition = {
      instrumentId: inverseCall.id,
      instrument: inverseCall,
      quantity: d(2),
      markPrice: d('0.04321987'),
      initialMarginContribution: d('5186.3844'),
    };
    const planned = plan([perpLong, option], '10000');
    expect(
      planned.closes.map((close) => [close.instrumentId, close.closeQuantity.toFixed(), close.penalty.toFixed()]),
    ).toEqual([
      [inverseCall.id, '-1', '0.0004322'],
      [perp.id, '-0.5', '300'],
    ]);
    expect(planned.targetReached).toBe(false);
    const transfer = liquidationTransferEntry({
      accountId: 'member-7',
      liquidationAccountId: 'house-liquidation',
      insuranceFundAccountId: 'house-insurance',
      closes: planned.closes,
      instruments,
      referencePrices: { [perp.id]: d(100_000) },
      settlementAssetScale: 6,
      assetScales: { USDC: 6, BTC: 8 },
      idempotencyKey: 'liq-1-step-1',
    });
    expect(transfer.journalEntry?.postings.map((p) => [p.accountId, p.asset, p.amount.toFixed()])).toEqual([
      ['member-7', 'BTC', '0.04278767'],
      ['house-liquidation', 'BTC', '-0.04321987'],
      ['house-insurance', 'BTC', '0.0004322'],
      ['member-7', 'USDC', '-20300'],
      ['house-liquidation', 'USDC', '20000'],
      ['house-insurance', 'USDC', '300'],
    ]);
    expect(() => assertBalancedEntry(transfer.journalEntry as NonNullable<typeof transfer.journalEntry>)).not.toThrow();
    expect(Object.entries(transfer.penaltyByAsset).map(([asset, v]) => [asset, v.toFixed()])).toEqual([
      ['BTC', '0.0004322'],
      ['USDC', '300'],
    ]);
  });

  it('refuses a position or a close whose settlement asset has no terms', () => {
    const option: LiquidationPosition = {
      instrumentId: inverseCall.id,
      instrument: inverseCall,
      quantity: d(2),
      markPrice: d('0.05'),
      initialMarginContribution: d(6_000),
    };
    expect(() => plan([option], '100', { settlementAssets: { USDC: settlementAssets.USDC } })).toThrow(
      expect.objectContaining({ code: 'MISSING_FIELD', field: 'settlementAssets.BTC' }),
    );
    const closes = plan([option], '100').closes;
    expect(() =>
      liquidationTransferEntry({
        accountId: 'member-7',
        liquidationAccountId: 'house-liquidation',
        insuranceFundAccountId: 'house-insurance',
        closes,
        instruments,
        referencePrices: {},
        settlementAssetScale: 6,
        assetScales: { USDC: 6 },
        idempotencyKey: 'liq-1-step-1',
      }),
    ).toThrow(ClearingError);
  });
});
