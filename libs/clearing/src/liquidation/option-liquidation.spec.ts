import fc from 'fast-check';
import { Decimal } from '@novation/money';
import { optionPremiumAmount } from '@novation/instruments';
import type { EuropeanOption, Instrument, LinearPerpetual, SpotInstrument } from '@novation/instruments';
import { ClearingError } from '../clearing-error.js';
import { assertBalancedEntry } from '../ledger-draft.js';
import { liquidationTransferEntry } from './liquidation-fee.js';
import type { LiquidationTransferInput } from './liquidation-fee.js';
import { optionCloseAmounts } from './option-close.js';
import { planLiquidationSlice } from './plan-liquidation-slice.js';
import type { LiquidationClose, LiquidationPosition, PlanLiquidationSliceInput } from './plan-liquidation-slice.js';

const d = (value: string | number): Decimal => new Decimal(value);
const EXPIRY_EPOCH_MS = Date.UTC(2027, 0, 29, 8);

function option(
  id: string,
  optionType: 'call' | 'put',
  strike: number,
  settlement: 'linear' | 'inverse',
): EuropeanOption {
  return {
    kind: 'european_option',
    id,
    underlying: 'BTC-USD',
    quoteAsset: settlement === 'linear' ? 'USDC' : 'BTC',
    settlementAsset: settlement === 'linear' ? 'USDC' : 'BTC',
    contractSize: d(1),
    settlement,
    underlyingReference: 'spot',
    optionType,
    strikePrice: d(strike),
    expiryEpochMs: EXPIRY_EPOCH_MS,
  };
}

const linearCall = option('BTC-90000-C-USDC', 'call', 90_000, 'linear');
const linearPut = option('BTC-80000-P-USDC', 'put', 80_000, 'linear');
const inverseCall = option('BTC-100000-C', 'call', 100_000, 'inverse');
const ethPerp: LinearPerpetual = {
  kind: 'linear_perpetual',
  id: 'ETH-PERP',
  underlying: 'ETH-USD',
  quoteAsset: 'USDC',
  settlementAsset: 'USDC',
  contractSize: d(1),
};
const instruments: Record<string, Instrument> = Object.fromEntries(
  [linearCall, linearPut, inverseCall, ethPerp].map((instrument) => [instrument.id, instrument]),
);

/** Long 10 calls at a premium of 1,234.57 USDC; under the standard model a long's IM is its premium value. */
const longCall: LiquidationPosition = {
  instrumentId: linearCall.id,
  instrument: linearCall,
  quantity: d(10),
  markPrice: d('1234.57'),
  initialMarginContribution: d('12345.7'),
};
/** Short 4 puts at 37.5: the buyback of a cheap option frees a large share of requirement. */
const shortPut: LiquidationPosition = {
  instrumentId: linearPut.id,
  instrument: linearPut,
  quantity: d(-4),
  markPrice: d('37.5'),
  initialMarginContribution: d(2000),
};
/** Long 3 inverse calls at 0.01234567 BTC each (the premium of a coin-settled option is in coin). */
const longInverseCall: LiquidationPosition = {
  instrumentId: inverseCall.id,
  instrument: inverseCall,
  quantity: d(3),
  markPrice: d('0.01234567'),
  initialMarginContribution: d('0.03703701'),
};
const ethLong: LiquidationPosition = {
  instrumentId: ethPerp.id,
  instrument: ethPerp,
  quantity: d(40),
  markPrice: d(2000),
  initialMarginContribution: d(1600),
};

function planOf(positions: LiquidationPosition[], overrides: Partial<PlanLiquidationSliceInput> = {}) {
  return planLiquidationSlice({
    accountId: 'member-7',
    positions,
    maxSliceFraction: d('0.25'),
    liquidationPenaltyFraction: d('0.005'),
    targetRequirementReduction: d('1e9'),
    quantitySteps: { [linearCall.id]: d(1), [linearPut.id]: d(1), [inverseCall.id]: d('0.1'), [ethPerp.id]: d(1) },
    settlementAssetScale: 2,
    ...overrides,
  });
}

function transferOf(closes: readonly LiquidationClose[], overrides: Partial<LiquidationTransferInput> = {}) {
  return liquidationTransferEntry({
    accountId: 'member-7',
    liquidationAccountId: 'house-liquidation',
    insuranceFundAccountId: 'house-insurance',
    closes,
    instruments,
    // Only the perpetual's is read: an option's premium changed hands at every trade.
    referencePrices: { [ethPerp.id]: d(2100) },
    settlementAssetScale: 2,
    idempotencyKey: 'liquidation:member-7:1',
    ...overrides,
  });
}

const closeRows = (closes: readonly LiquidationClose[]) =>
  closes.map((close) => [
    close.instrumentId,
    close.closeQuantity.toFixed(),
    close.executionPrice.toFixed(),
    close.penalty.toFixed(),
    close.requirementReduction.toFixed(),
  ]);
const postingRows = (entry: { postings: readonly { accountId: string; asset: string; amount: Decimal }[] } | null) =>
  entry?.postings.map((posting) => [posting.accountId, posting.asset, posting.amount.toFixed()]);
const changeRows = (changes: ReturnType<typeof transferOf>['accountChanges']) =>
  changes.map((change) => [
    change.accountId,
    change.instrumentId,
    change.quantityChange.toFixed(),
    change.price.toFixed(),
    change.realisedPnl.toFixed(),
  ]);

describe('liquidating options', () => {
  it('sells a long call below mark: the account receives the premium at the execution price, rounded down', () => {
    // Cap 25 % of 10 = 2. Execution 1,234.57 x 0.995 = 1,228.39715. The account receives 2 x 1,228.39715 =
    // 2,456.7943 -> 2,456.79; the liquidation account pays the premium at mark 2 x 1,234.57 = 2,469.14; the
    // fund takes the difference 12.35 (the exact concession is 12.3457: the account's credit rounds down).
    const plan = planOf([longCall]);
    expect(closeRows(plan.closes)).toEqual([[linearCall.id, '-2', '1228.39715', '12.35', '2469.14']]);
    const result = transferOf(plan.closes);
    expect(postingRows(result.journalEntry)).toEqual([
      ['member-7', 'USDC', '2456.79'],
      ['house-liquidation', 'USDC', '-2469.14'],
      ['house-insurance', 'USDC', '12.35'],
    ]);
    expect(result.penaltyByAsset['USDC']?.toFixed()).toBe('12.35');
    // A premium is not PnL: neither side realises any, as with an option trade (applyFill).
    expect(changeRows(result.accountChanges)).toEqual([['member-7', linearCall.id, '-2', '1228.39715', '0']]);
    expect(changeRows(result.liquidationAccountChanges)).toEqual([
      ['house-liquidation', linearCall.id, '2', '1234.57', '0'],
    ]);
  });

  it('buys a short put back above mark: the account pays the premium at the execution price, rounded up', () => {
    // Cap 25 % of 4 = 1. Execution 37.5 x 1.005 = 37.6875: the account pays 37.69, the liquidation account
    // receives 37.5 at mark, the fund 0.19 (exact 0.1875).
    const plan = planOf([shortPut]);
    expect(closeRows(plan.closes)).toEqual([[linearPut.id, '1', '37.6875', '0.19', '500']]);
    const result = transferOf(plan.closes);
    expect(postingRows(result.journalEntry)).toEqual([
      ['member-7', 'USDC', '-37.69'],
      ['house-liquidation', 'USDC', '37.5'],
      ['house-insurance', 'USDC', '0.19'],
    ]);
    expect(changeRows(result.accountChanges)).toEqual([['member-7', linearPut.id, '1', '37.6875', '0']]);
    expect(changeRows(result.liquidationAccountChanges)).toEqual([
      ['house-liquidation', linearPut.id, '-1', '37.5', '0'],
    ]);
  });

  it('moves an inverse option premium in coin, at the coin scale', () => {
    // Cap 25 % of 3 = 0.75, down to the step: 0.7. Execution 0.01234567 x 0.995 = 0.01228394165 BTC. The
    // account receives 0.7 x 0.01228394165 = 0.008598759155 -> 0.00859875; at mark 0.7 x 0.01234567 =
    // 0.008641969 -> 0.00864196 from the liquidation account; the fund 0.00004321 (exact 0.000043209845).
    const plan = planOf([longInverseCall], { settlementAssetScale: 8 });
    expect(closeRows(plan.closes)).toEqual([[inverseCall.id, '-0.7', '0.01228394165', '0.00004321', '0.008641969']]);
    const result = transferOf(plan.closes, { settlementAssetScale: 8 });
    expect(postingRows(result.journalEntry)).toEqual([
      ['member-7', 'BTC', '0.00859875'],
      ['house-liquidation', 'BTC', '-0.00864196'],
      ['house-insurance', 'BTC', '0.00004321'],
    ]);
  });

  it('closes a zero-mark option at 0: it ranks first, moves no money and still closes', () => {
    // Cost 0 per contract ranks it ahead of the perpetual (compared by cross-multiplying, never divided).
    const worthless = { ...longCall, markPrice: d(0), initialMarginContribution: d(1) };
    const plan = planOf([ethLong, worthless], { targetRequirementReduction: d('0.2') });
    expect(closeRows(plan.closes)).toEqual([[linearCall.id, '-2', '0', '0', '0.2']]);
    const result = transferOf(plan.closes);
    expect(result.journalEntry).toBeNull();
    expect(result.penaltyByAsset['USDC']?.toFixed()).toBe('0');
    expect(changeRows(result.accountChanges)).toEqual([['member-7', linearCall.id, '-2', '0', '0']]);
    expect(changeRows(result.liquidationAccountChanges)).toEqual([['house-liquidation', linearCall.id, '2', '0', '0']]);
    // Bought back at 0 as well: 0 x 1.005 is still 0.
    const short = planOf([{ ...shortPut, markPrice: d(0) }]);
    expect(closeRows(short.closes)).toEqual([[linearPut.id, '1', '0', '0', '500']]);
    expect(transferOf(short.closes).journalEntry).toBeNull();
  });

  it('closes options and futures of one step in one entry', () => {
    // Ranked by requirement per unit of cost: the put 500 / 0.1875 first, the call 1,234.57 / 6.17285 = 200
    // next, ETH 40 / 10 = 4 last. ETH: cap 10 sold at 1,990, PnL at mark 10 x (2,000 - 2,100) = -1,000 to
    // the liquidation account, penalty 100. Member -37.69 + 2,456.79 - 1,100 = 1,319.1; liquidation account
    // 37.5 - 2,469.14 + 1,000 = -1,431.64; fund 0.19 + 12.35 + 100 = 112.54.
    const plan = planOf([ethLong, longCall, shortPut]);
    expect(plan.closes.map((close) => close.instrumentId)).toEqual([linearPut.id, linearCall.id, ethPerp.id]);
    const result = transferOf(plan.closes);
    expect(postingRows(result.journalEntry)).toEqual([
      ['member-7', 'USDC', '1319.1'],
      ['house-liquidation', 'USDC', '-1431.64'],
      ['house-insurance', 'USDC', '112.54'],
    ]);
    expect(changeRows(result.accountChanges).map((row) => row[4])).toEqual(['0', '0', '-1100']);
  });

  it('never lets the account gain from rounding, and the fund never pays', () => {
    // A penalty of 0: the account still receives its premium rounded down and the liquidation account pays
    // the same rounded amount, so nothing goes to the fund and nothing is lost.
    const atMark = optionCloseAmounts(linearCall, d(3), d('0.333'), d('0.333'), 2);
    expect([atMark.account, atMark.liquidationAccount, atMark.penalty].map((x) => x.toFixed())).toEqual([
      '0.99',
      '-0.99',
      '0',
    ]);
    // A buyback of 3 at 0.3335 (mark 0.333): 1.0005 paid -> 1.01, 0.999 at mark -> 1; the fund 0.01.
    const bought = optionCloseAmounts(linearCall, d(-3), d('0.3335'), d('0.333'), 2);
    expect([bought.account, bought.liquidationAccount, bought.penalty].map((x) => x.toFixed())).toEqual([
      '-1.01',
      '1',
      '0.01',
    ]);
  });

  it.each<[string, () => unknown, string]>([
    ['a negative option mark', () => planOf([{ ...longCall, markPrice: d(-1) }]), 'OUT_OF_RANGE'],
    ['a zero futures mark', () => planOf([{ ...ethLong, markPrice: d(0) }]), 'NON_POSITIVE_PRICE'],
    [
      'spot',
      () => {
        const spot: SpotInstrument = {
          kind: 'spot',
          id: 'BTC-USDC',
          underlying: 'BTC-USD',
          quoteAsset: 'USDC',
          settlementAsset: 'USDC',
          contractSize: d(1),
        };
        return planOf([{ ...ethLong, instrumentId: spot.id, instrument: spot }], {
          quantitySteps: { [spot.id]: d(1) },
        });
      },
      'UNSUPPORTED_INSTRUMENT',
    ],
    [
      'an option penalty that is not the one at its prices',
      () => transferOf(planOf([longCall]).closes.map((close) => ({ ...close, penalty: d('12.3457') }))),
      'OUT_OF_RANGE',
    ],
    [
      'an option sold above mark',
      () => transferOf(planOf([longCall]).closes.map((close) => ({ ...close, executionPrice: d(1300) }))),
      'OUT_OF_RANGE',
    ],
  ])('refuses %s', (_name, action, code) => {
    expect(action).toThrow(ClearingError);
    expect(action).toThrow(new RegExp(`^${code}`));
  });
});

describe('liquidating options: properties', () => {
  it('balances per asset, the fund never pays and the account never gains from rounding', () => {
    const positionArbitrary = fc.record({
      instrument: fc.constantFrom(linearCall, linearPut, inverseCall),
      tenths: fc.integer({ min: -500, max: 500 }).filter((tenths) => tenths !== 0),
      // Zero marks included: a worthless option must close like any other.
      markMicros: fc.integer({ min: 0, max: 50_000_000 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(positionArbitrary, { minLength: 1, maxLength: 3, selector: (p) => p.instrument.id }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 8 }),
        (randomPositions, penaltyBasisPoints, scale) => {
          const positions = randomPositions.map((random): LiquidationPosition => ({
            instrumentId: random.instrument.id,
            instrument: random.instrument,
            quantity: d(random.tenths).dividedBy(10),
            markPrice: d(random.markMicros).dividedBy(1_000_000),
            initialMarginContribution: d(1),
          }));
          const closes = planLiquidationSlice({
            accountId: 'member-7',
            positions,
            maxSliceFraction: d('0.25'),
            liquidationPenaltyFraction: d(penaltyBasisPoints).dividedBy(10_000),
            targetRequirementReduction: d('1e9'),
            quantitySteps: Object.fromEntries(positions.map((p) => [p.instrumentId, d('0.1')])),
            settlementAssetScale: scale,
          }).closes;
          expect(closes).toHaveLength(positions.length);
          const result = transferOf(closes, { settlementAssetScale: scale });
          if (result.journalEntry !== null) assertBalancedEntry(result.journalEntry);
          for (const posting of result.journalEntry?.postings ?? []) {
            if (posting.accountId === 'house-insurance') expect(posting.amount.isPositive()).toBe(true);
          }
          for (const close of closes) {
            const instrument = instruments[close.instrumentId] as EuropeanOption;
            const closed = close.closeQuantity.negated();
            const amounts = optionCloseAmounts(instrument, closed, close.executionPrice, close.markPrice, scale);
            // Signed as posted to the account: + received for a sale, - paid for a buyback.
            const exact = optionPremiumAmount(instrument, close.closeQuantity.abs(), close.executionPrice).times(
              closed.isPositive() ? 1 : -1,
            );
            expect(amounts.account.lte(exact)).toBe(true);
            expect(amounts.penalty.isNegative()).toBe(false);
            expect(amounts.account.plus(amounts.liquidationAccount).plus(amounts.penalty).isZero()).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
