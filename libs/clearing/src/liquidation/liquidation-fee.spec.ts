import fc from 'fast-check';
import { Decimal } from '@novation/money';
import { realisedPnl } from '@novation/instruments';
import type { Instrument, InversePerpetual, LinearPerpetual } from '@novation/instruments';
import { ClearingError } from '../clearing-error.js';
import { assertBalancedEntry } from '../ledger-draft.js';
import { liquidationTransferEntry } from './liquidation-fee.js';
import type { LiquidationTransferInput } from './liquidation-fee.js';
import { planLiquidationSlice } from './plan-liquidation-slice.js';
import type { LiquidationClose, LiquidationPosition } from './plan-liquidation-slice.js';

const d = (value: string | number): Decimal => new Decimal(value);

function linearPerp(id: string, contractSize: string): LinearPerpetual {
  return {
    kind: 'linear_perpetual',
    id,
    underlying: 'X',
    quoteAsset: 'USDC',
    settlementAsset: 'USDC',
    contractSize: d(contractSize),
  };
}

const eth = linearPerp('ETH-PERP', '1');
const btc = linearPerp('BTC-PERP', '0.001');
const sol = linearPerp('SOL-PERP', '1');
const btcInverse: InversePerpetual = {
  kind: 'inverse_perpetual',
  id: 'BTC-USD-INV',
  underlying: 'BTC',
  quoteAsset: 'USD',
  settlementAsset: 'BTC',
  contractSize: d('10'),
};
const instruments: Record<string, Instrument> = {
  'ETH-PERP': eth,
  'BTC-PERP': btc,
  'SOL-PERP': sol,
  'BTC-USD-INV': btcInverse,
};

const btcShort: LiquidationPosition = {
  instrumentId: 'BTC-PERP',
  instrument: btc,
  quantity: d(-2000),
  markPrice: d(50000),
  initialMarginContribution: d(10000),
  closeCostPerContract: d('0.05'),
};
const ethLong: LiquidationPosition = {
  instrumentId: 'ETH-PERP',
  instrument: eth,
  quantity: d(40),
  markPrice: d(2000),
  initialMarginContribution: d(8000),
};
const solLong: LiquidationPosition = {
  instrumentId: 'SOL-PERP',
  instrument: sol,
  quantity: d(100),
  markPrice: d(100),
  initialMarginContribution: d(2500),
  closeCostPerContract: d('0.5'),
};
const book: LiquidationPosition[] = [btcShort, ethLong, solLong];

function plan(positions: LiquidationPosition[], target: Decimal, scale = 2): readonly LiquidationClose[] {
  return planLiquidationSlice({
    accountId: 'member-7',
    positions,
    maxSliceFraction: d('0.25'),
    liquidationPenaltyFraction: d('0.005'),
    targetRequirementReduction: target,
    quantitySteps: { 'BTC-PERP': d(10), 'ETH-PERP': d(1), 'SOL-PERP': d(1), 'BTC-USD-INV': d(1) },
    settlementAssetScale: scale,
  }).closes;
}

function transferOf(closes: readonly LiquidationClose[], overrides: Partial<LiquidationTransferInput> = {}) {
  return liquidationTransferEntry({
    accountId: 'member-7',
    liquidationAccountId: 'house-liquidation',
    insuranceFundAccountId: 'house-insurance',
    closes,
    instruments,
    referencePrices: { 'SOL-PERP': d(80), 'ETH-PERP': d(2100), 'BTC-PERP': d(48000), 'BTC-USD-INV': d(40000) },
    settlementAssetScale: 2,
    idempotencyKey: 'liquidation:member-7:1',
    ...overrides,
  });
}

const postingsOf = (entry: { postings: readonly { accountId: string; asset: string; amount: Decimal }[] } | null) =>
  entry?.postings.map((posting) => [posting.accountId, posting.asset, posting.amount.toFixed()]);

describe('liquidationTransferEntry', () => {
  it('posts PnL at mark to the liquidation account and the penalty to the insurance fund', () => {
    // Closes (see plan-liquidation-slice.spec): SOL -25 @ 99.5, ETH -10 @ 1,990, BTC +80 @ 50,250.
    // PnL at mark: SOL 25 x (100 - 80) = 500; ETH 10 x (2,000 - 2,100) = -1,000; BTC -80 x 0.001 x
    // (50,000 - 48,000) = -160; total -660. Penalties 12.5 + 100 + 20 = 132.5.
    // Account -660 - 132.5 = -792.5 = its PnL at the execution prices: 487.5 - 1,100 - 180.
    const result = transferOf(plan(book, d(3000)));
    expect(postingsOf(result.journalEntry)).toEqual([
      ['member-7', 'USDC', '-792.5'],
      ['house-liquidation', 'USDC', '660'],
      ['house-insurance', 'USDC', '132.5'],
    ]);
    expect(result.journalEntry?.idempotencyKey).toBe('liquidation:member-7:1');
    expect(result.journalEntry?.kind).toBe('liquidation');
    expect(() =>
      assertBalancedEntry(result.journalEntry ?? { idempotencyKey: '', kind: '', description: '', postings: [] }),
    ).not.toThrow();
    expect(result.penaltyByAsset['USDC']?.toFixed()).toBe('132.5');
  });

  it('closes the account at the execution price and moves the contracts to the liquidation account at mark', () => {
    const result = transferOf(plan(book, d(3000)));
    const rows = (changes: typeof result.accountChanges) =>
      changes.map((change) => [
        change.accountId,
        change.instrumentId,
        change.quantityChange.toFixed(),
        change.price.toFixed(),
        change.realisedPnl.toFixed(),
      ]);
    expect(rows(result.accountChanges)).toEqual([
      ['member-7', 'SOL-PERP', '-25', '99.5', '487.5'],
      ['member-7', 'ETH-PERP', '-10', '1990', '-1100'],
      ['member-7', 'BTC-PERP', '80', '50250', '-180'],
    ]);
    expect(rows(result.liquidationAccountChanges)).toEqual([
      ['house-liquidation', 'SOL-PERP', '25', '100', '0'],
      ['house-liquidation', 'ETH-PERP', '10', '2000', '0'],
      ['house-liquidation', 'BTC-PERP', '-80', '50000', '0'],
    ]);
  });

  it('rounds in the clearinghouse favour', () => {
    // Long 1 ETH from 1,999.995 @ mark 2,000.33: PnL at mark 0.335 -> 0.33 (credit rounds down); penalty
    // 10.00165 -> 10.01 (up). The account posts -9.68, below its exact PnL at execution, -9.66665.
    const closes = plan([{ ...ethLong, quantity: d(1), markPrice: d('2000.33') }], d(1));
    const result = transferOf(closes, { referencePrices: { 'ETH-PERP': d('1999.995') } });
    expect(postingsOf(result.journalEntry)).toEqual([
      ['member-7', 'USDC', '-9.68'],
      ['house-liquidation', 'USDC', '-0.33'],
      ['house-insurance', 'USDC', '10.01'],
    ]);
  });

  it('balances each settlement asset on its own', () => {
    // Inverse long 1,000 x 10 USD from 40,000 @ 50,000, cap 250: PnL at mark 2,500 x (1/40,000 - 1/50,000)
    // = 0.0125 BTC; penalty 0.00025126 BTC (see the plan spec).
    const closes = plan(
      [
        ethLong,
        {
          instrumentId: 'BTC-USD-INV',
          instrument: btcInverse,
          quantity: d(1000),
          markPrice: d(50000),
          initialMarginContribution: d('0.2'),
        },
      ],
      d('1e9'),
      8,
    );
    const result = transferOf(closes, { settlementAssetScale: 8 });
    expect(postingsOf(result.journalEntry)).toEqual([
      ['member-7', 'BTC', '0.01224874'],
      ['house-liquidation', 'BTC', '-0.0125'],
      ['house-insurance', 'BTC', '0.00025126'],
      ['member-7', 'USDC', '-1100'],
      ['house-liquidation', 'USDC', '1000'],
      ['house-insurance', 'USDC', '100'],
    ]);
  });

  it('returns no entry when nothing is closed', () => {
    expect(transferOf([]).journalEntry).toBeNull();
  });

  it.each<[string, () => unknown, string]>([
    [
      'a penalty that is not the one at its prices',
      () => transferOf(plan(book, d(600)).map((c) => ({ ...c, penalty: d(1) }))),
      'OUT_OF_RANGE',
    ],
    [
      'an execution price in the account favour',
      () => transferOf(plan(book, d(600)).map((c) => ({ ...c, executionPrice: d(101), penalty: d(0) }))),
      'OUT_OF_RANGE',
    ],
    [
      'a missing reference price',
      () => transferOf(plan(book, d(600)), { referencePrices: {} }),
      'MISSING_REFERENCE_PRICE',
    ],
    ['a missing instrument', () => transferOf(plan(book, d(600)), { instruments: {} }), 'MISSING_FIELD'],
    [
      'the insurance fund as the account',
      () => transferOf([], { insuranceFundAccountId: 'member-7' }),
      'HOUSE_ACCOUNT_IS_MEMBER',
    ],
    ['a key with spaces', () => transferOf([], { idempotencyKey: 'a b' }), 'INVALID_IDENTIFIER'],
  ])('refuses %s', (_name, action, code) => {
    expect(action).toThrow(ClearingError);
    expect(action).toThrow(new RegExp(`^${code}`));
  });
});

describe('liquidationTransferEntry properties', () => {
  it('every entry balances per asset and the account never gains from rounding', () => {
    const positionArbitrary = fc.record({
      instrument: fc.constantFrom<Instrument>(eth, btc, btcInverse),
      steps: fc.integer({ min: -5_000, max: 5_000 }).filter((steps) => steps !== 0),
      markTicks: fc.integer({ min: 1, max: 1_000_000 }),
      referenceTicks: fc.integer({ min: 1, max: 1_000_000 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(positionArbitrary, { minLength: 1, maxLength: 3, selector: (p) => p.instrument.id }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 8 }),
        (randomPositions, penaltyBasisPoints, scale) => {
          const step = (id: string): Decimal => (id === 'BTC-PERP' ? d(10) : d(1));
          const positions = randomPositions.map((random): LiquidationPosition => ({
            instrumentId: random.instrument.id,
            instrument: random.instrument,
            quantity: step(random.instrument.id).times(random.steps),
            markPrice: d(random.markTicks).times('0.5'),
            initialMarginContribution: d(1),
          }));
          const closes = planLiquidationSlice({
            accountId: 'member-7',
            positions,
            maxSliceFraction: d('0.25'),
            liquidationPenaltyFraction: d(penaltyBasisPoints).dividedBy(10_000),
            targetRequirementReduction: d('1e9'),
            quantitySteps: Object.fromEntries(positions.map((p) => [p.instrumentId, step(p.instrumentId)])),
            settlementAssetScale: scale,
          }).closes;
          const referencePrices = Object.fromEntries(
            randomPositions.map((random) => [random.instrument.id, d(random.referenceTicks).times('0.5')]),
          );
          const result = transferOf(closes, { referencePrices, settlementAssetScale: scale });
          if (result.journalEntry !== null) assertBalancedEntry(result.journalEntry);
          for (const change of result.accountChanges) {
            const random = randomPositions.find((p) => p.instrument.id === change.instrumentId);
            if (random === undefined) throw new Error('change of an unknown position');
            // Exact PnL of the closed contracts from the reference price to the execution price.
            const exactAtExecution = realisedPnl(
              random.instrument,
              change.quantityChange.negated(),
              d(random.referenceTicks).times('0.5'),
              change.price,
            );
            expect(change.realisedPnl.lte(exactAtExecution)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
