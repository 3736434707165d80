import fc from 'fast-check';
import { Decimal, ZERO } from '@novation/money';
import { unrealisedPnl } from '@novation/instruments';
import type { EuropeanOption, Instrument, InversePerpetual, LinearFuture, SpotInstrument } from '@novation/instruments';
import type { ClearingPosition } from './apply-fill.js';
import { ClearingError } from './clearing-error.js';
import { assertBalancedEntry } from './ledger-draft.js';
import type { JournalEntryDraft } from './ledger-draft.js';
import { noviateTrade } from './novation.js';
import type { VenueTrade } from './trade-validation.js';

const d = (value: string): Decimal => new Decimal(value);
const HOUSE = { feeRevenue: 'house-fee-revenue', variationMargin: 'house-variation-margin' };

const linearFuture: LinearFuture = {
  kind: 'linear_future',
  id: 'BTC-USDC-28MAR25',
  underlying: 'BTC',
  quoteAsset: 'USDC',
  settlementAsset: 'USDC',
  contractSize: d('0.01'),
  expiryEpochMs: 1_743_148_800_000,
};

const inversePerpetual: InversePerpetual = {
  kind: 'inverse_perpetual',
  id: 'BTC-PERPETUAL',
  underlying: 'BTC',
  quoteAsset: 'USD',
  settlementAsset: 'BTC',
  contractSize: d('10'),
};

/** CV-DERIBIT-06: SOL call K=250, multiplier 10, settled in USDC. */
const solCall: EuropeanOption = {
  kind: 'european_option',
  id: 'SOL_USDC-250-C',
  underlying: 'SOL',
  quoteAsset: 'USDC',
  settlementAsset: 'USDC',
  settlement: 'linear',
  underlyingReference: 'spot',
  optionType: 'call',
  strikePrice: d('250'),
  contractSize: d('10'),
  expiryEpochMs: 1_743_148_800_000,
};

/** CV-DERIBIT-01: BTC call K=10,000, inverse (premium and payoff in BTC). */
const btcCall: EuropeanOption = {
  ...solCall,
  id: 'BTC-10000-C',
  underlying: 'BTC',
  quoteAsset: 'USD',
  settlementAsset: 'BTC',
  settlement: 'inverse',
  strikePrice: d('10000'),
  contractSize: d('1'),
};

const tradeOf = (instrument: Instrument, change: Partial<VenueTrade> = {}): VenueTrade => ({
  venueId: 'deribit',
  tradeId: 'T-1',
  instrumentId: instrument.id,
  buyerAccountId: 'member-a',
  sellerAccountId: 'member-b',
  quantity: d('10'),
  price: d('50000'),
  buyerFee: ZERO,
  sellerFee: ZERO,
  executedAtEpochMs: 1_735_689_600_000,
  ...change,
});

const position = (quantity: string, entry: string, realised = '0'): ClearingPosition => ({
  quantity: d(quantity),
  averageEntryPrice: d(entry),
  realisedPnl: d(realised),
});

function postingsOf(entry: JournalEntryDraft | null): Record<string, string> {
  expect(entry).not.toBeNull();
  assertBalancedEntry(entry as JournalEntryDraft);
  const totals = new Map<string, Decimal>();
  for (const posting of (entry as JournalEntryDraft).postings) {
    const key = `${posting.accountId} ${posting.asset}`;
    totals.set(key, (totals.get(key) ?? ZERO).plus(posting.amount));
  }
  return Object.fromEntries([...totals].map(([key, amount]) => [key, amount.toFixed()]));
}

describe('noviateTrade on a linear future (0.01 BTC per contract, USDC scale 6)', () => {
  it('opens both sides; the entry holds only the fee (0.5 USDC) and the rebate (0.1 USDC)', () => {
    const trade = tradeOf(linearFuture, { buyerFee: d('0.5'), sellerFee: d('-0.1') });
    const result = noviateTrade(trade, undefined, undefined, linearFuture, HOUSE, 6);
    expect([result.buyer.effect, result.seller.effect]).toEqual(['open', 'open']);
    expect(result.buyer.position.quantity.toFixed()).toBe('10');
    expect(result.seller.position.quantity.toFixed()).toBe('-10');
    expect(result.journalEntry?.idempotencyKey).toBe('trade:deribit:T-1');
    expect(result.journalEntry?.kind).toBe('trade');
    // Fee revenue: +0.5 from the buyer, -0.1 rebate to the seller = +0.4.
    expect(postingsOf(result.journalEntry)).toEqual({
      'member-a USDC': '-0.5',
      'member-b USDC': '0.1',
      'house-fee-revenue USDC': '0.4',
    });
  });

  it('has no entry for an opening trade without fees', () => {
    expect(noviateTrade(tradeOf(linearFuture), undefined, undefined, linearFuture, HOUSE, 6).journalEntry).toBeNull();
  });

  it('posts each side’s realised PnL against the variation-margin account (they differ: entries differ)', () => {
    // Buyer A closes a short from 50000 at 51000: -10 x 0.01 x (51000 - 50000) = -100.
    // Seller B closes a long from 49000 at 51000: 10 x 0.01 x (51000 - 49000) = +200.
    // House: -(-100 + 200) = -100, the other side of the clearinghouse's own open contracts.
    const trade = tradeOf(linearFuture, { price: d('51000') });
    const result = noviateTrade(trade, position('-10', '50000'), position('10', '49000', '5'), linearFuture, HOUSE, 6);
    expect([result.buyer.effect, result.seller.effect]).toEqual(['close', 'close']);
    expect(result.buyer.realisedPnl.toFixed()).toBe('-100');
    expect(result.seller.realisedPnl.toFixed()).toBe('200');
    expect(result.seller.position.realisedPnl.toFixed()).toBe('205');
    expect(postingsOf(result.journalEntry)).toEqual({
      'member-a USDC': '-100',
      'member-b USDC': '200',
      'house-variation-margin USDC': '-100',
    });
  });

  it('rounds against the member at scale 2 and leaves the residual with the house', () => {
    // A (seller) closes long 1 @ 100.003 at 100.01: 1 x 0.01 x 0.007 = 0.00007 -> paid 0.00 (down).
    // B (buyer) closes short 1 @ 99.996 at 100.01: -1 x 0.01 x 0.014 = -0.00014 -> charged -0.01 (up).
    // Fee 0.001 charged up to 0.01; rebate -0.009 paid down to 0.00 (nothing posted).
    const trade = tradeOf(linearFuture, {
      buyerAccountId: 'member-b',
      sellerAccountId: 'member-a',
      quantity: d('1'),
      price: d('100.01'),
      buyerFee: d('0.001'),
      sellerFee: d('-0.009'),
    });
    const result = noviateTrade(trade, position('-1', '99.996'), position('1', '100.003'), linearFuture, HOUSE, 2);
    expect(result.buyer.realisedPnl.toFixed()).toBe('-0.01');
    expect(result.seller.realisedPnl.toFixed()).toBe('0');
    expect(result.seller.position.realisedPnl.toFixed()).toBe('0');
    expect(postingsOf(result.journalEntry)).toEqual({
      'member-b USDC': '-0.02',
      'house-variation-margin USDC': '0.01',
      'house-fee-revenue USDC': '0.01',
    });
  });

  it('flips the buyer and realises on the closed part only', () => {
    // A short 4 @ 52000 buys 10 at 50000: closes 4, -4 x 0.01 x (50000 - 52000) = +80; long 6 @ 50000.
    const result = noviateTrade(tradeOf(linearFuture), position('-4', '52000'), undefined, linearFuture, HOUSE, 6);
    expect(result.buyer.effect).toBe('flip');
    expect(result.buyer.position.quantity.toFixed()).toBe('6');
    expect(result.buyer.position.averageEntryPrice?.toFixed()).toBe('50000');
    expect(postingsOf(result.journalEntry)).toEqual({
      'member-a USDC': '80',
      'house-variation-margin USDC': '-80',
    });
  });
});

describe('noviateTrade on an inverse perpetual (10 USD per contract, BTC scale 8)', () => {
  it('pays the seller closing a long 100 @ 40000 at 50000: 1000 x (1/40000 - 1/50000) = 0.005 BTC', () => {
    const trade = tradeOf(inversePerpetual, { quantity: d('100'), buyerFee: d('0.00001') });
    const result = noviateTrade(trade, undefined, position('100', '40000'), inversePerpetual, HOUSE, 8);
    expect(result.seller.effect).toBe('close');
    expect(postingsOf(result.journalEntry)).toEqual({
      'member-b BTC': '0.005',
      'house-variation-margin BTC': '-0.005',
      'member-a BTC': '-0.00001',
      'house-fee-revenue BTC': '0.00001',
    });
  });
});

describe('noviateTrade on options (premium-settled)', () => {
  it('CV-DERIBIT-06 (Deribit Support "Linear USDC Options"): premium 10 x multiplier 10 = 100 USDC', () => {
    const trade = tradeOf(solCall, { quantity: d('1'), price: d('10') });
    const result = noviateTrade(trade, undefined, undefined, solCall, HOUSE, 6);
    expect(postingsOf(result.journalEntry)).toEqual({ 'member-a USDC': '-100', 'member-b USDC': '100' });
  });

  it('CV-DERIBIT-01 (Deribit docs "Options" (legacy)): a BTC call bought for 0.05 BTC moves 0.05 BTC', () => {
    const trade = tradeOf(btcCall, { quantity: d('1'), price: d('0.05') });
    const result = noviateTrade(trade, undefined, undefined, btcCall, HOUSE, 8);
    expect(postingsOf(result.journalEntry)).toEqual({ 'member-a BTC': '-0.05', 'member-b BTC': '0.05' });
  });

  it('rounds the premium: 3 x 0.00333 = 0.00999 BTC at scale 4, buyer pays 0.0100, seller gets 0.0099', () => {
    const trade = tradeOf(btcCall, { quantity: d('3'), price: d('0.00333') });
    const result = noviateTrade(trade, undefined, undefined, btcCall, HOUSE, 4);
    expect(postingsOf(result.journalEntry)).toEqual({
      'member-a BTC': '-0.01',
      'member-b BTC': '0.0099',
      'house-variation-margin BTC': '0.0001',
    });
  });

  it('realises no PnL when the seller closes a long: the buyer pays the premium, nothing else', () => {
    const trade = tradeOf(btcCall, { quantity: d('1'), price: d('0.08') });
    const result = noviateTrade(trade, undefined, position('1', '0.05'), btcCall, HOUSE, 8);
    expect(result.seller.effect).toBe('close');
    expect(result.seller.realisedPnl.isZero()).toBe(true);
    expect(postingsOf(result.journalEntry)).toEqual({ 'member-a BTC': '-0.08', 'member-b BTC': '0.08' });
  });
});

describe('noviateTrade preconditions', () => {
  const spot: SpotInstrument = { ...linearFuture, kind: 'spot', id: 'BTC-USDC' };
  it.each<[string, () => unknown, string]>([
    [
      'a self trade',
      () =>
        noviateTrade(
          tradeOf(linearFuture, { sellerAccountId: 'member-a' }),
          undefined,
          undefined,
          linearFuture,
          HOUSE,
          6,
        ),
      'SELF_TRADE',
    ],
    [
      'another instrument',
      () => noviateTrade(tradeOf(inversePerpetual), undefined, undefined, linearFuture, HOUSE, 6),
      'INSTRUMENT_MISMATCH',
    ],
    ['a spot trade', () => noviateTrade(tradeOf(spot), undefined, undefined, spot, HOUSE, 6), 'UNSUPPORTED_INSTRUMENT'],
    [
      'a house account as member',
      () =>
        noviateTrade(
          tradeOf(linearFuture, { buyerAccountId: HOUSE.feeRevenue }),
          undefined,
          undefined,
          linearFuture,
          HOUSE,
          6,
        ),
      'HOUSE_ACCOUNT_IS_MEMBER',
    ],
    [
      'a scale of 19',
      () => noviateTrade(tradeOf(linearFuture), undefined, undefined, linearFuture, HOUSE, 19),
      'INVALID_SCALE',
    ],
    [
      'a bad house account id',
      () => noviateTrade(tradeOf(linearFuture), undefined, undefined, linearFuture, { ...HOUSE, feeRevenue: '' }, 6),
      'INVALID_IDENTIFIER',
    ],
    [
      'a zero quantity',
      () => noviateTrade(tradeOf(linearFuture, { quantity: ZERO }), undefined, undefined, linearFuture, HOUSE, 6),
      'NON_POSITIVE_QUANTITY',
    ],
  ])('refuses %s', (_name, action, code) => {
    expect(action).toThrow(ClearingError);
    expect(action).toThrow(new RegExp(`^${code}`));
  });
});

/** A random trade between two of four accounts; prices on a 0.5 grid, quantities on a 0.001 grid. */
const tradeArbitrary = fc.record({
  buyer: fc.integer({ min: 0, max: 3 }),
  sellerOffset: fc.integer({ min: 1, max: 3 }),
  quantityLots: fc.integer({ min: 1, max: 50_000 }),
  priceTicks: fc.integer({ min: 1, max: 400_000 }),
  buyerFeeUnits: fc.integer({ min: -1_000, max: 1_000 }),
  sellerFeeUnits: fc.integer({ min: -1_000, max: 1_000 }),
});
type RandomTrade = typeof tradeArbitrary extends fc.Arbitrary<infer T> ? T : never;

interface Replay {
  readonly positions: Map<string, ClearingPosition>;
  readonly entries: JournalEntryDraft[];
}

function replay(instrument: Instrument, trades: readonly RandomTrade[], scale: number): Replay {
  const positions = new Map<string, ClearingPosition>();
  const entries: JournalEntryDraft[] = [];
  trades.forEach((random, index) => {
    const buyerAccountId = `member-${random.buyer}`;
    const sellerAccountId = `member-${(random.buyer + random.sellerOffset) % 4}`;
    const trade = tradeOf(instrument, {
      tradeId: `T-${index}`,
      buyerAccountId,
      sellerAccountId,
      quantity: new Decimal(random.quantityLots).times('0.001'),
      price: new Decimal(random.priceTicks).times('0.5'),
      buyerFee: new Decimal(random.buyerFeeUnits).times('0.0001'),
      sellerFee: new Decimal(random.sellerFeeUnits).times('0.0001'),
    });
    const result = noviateTrade(
      trade,
      positions.get(buyerAccountId),
      positions.get(sellerAccountId),
      instrument,
      HOUSE,
      scale,
    );
    positions.set(buyerAccountId, result.buyer.position);
    positions.set(sellerAccountId, result.seller.position);
    if (result.journalEntry !== null) entries.push(result.journalEntry);
    // The clearinghouse is flat after every trade: members' positions sum to zero.
    const net = [...positions.values()].reduce((sum, held) => sum.plus(held.quantity), ZERO);
    expect(net.isZero()).toBe(true);
  });
  return { positions, entries };
}

function houseBalance(entries: readonly JournalEntryDraft[], accountId: string): Decimal {
  return entries
    .flatMap((entry) => entry.postings)
    .filter((posting) => posting.accountId === accountId)
    .reduce((sum, posting) => sum.plus(posting.amount), ZERO);
}

describe('noviateTrade properties', () => {
  it.each<[string, Instrument, number]>([
    ['linear future', linearFuture, 6],
    ['inverse perpetual', inversePerpetual, 8],
    ['inverse option', btcCall, 8],
  ])('every journal entry balances per asset (%s)', (_name, instrument, scale) => {
    fc.assert(
      fc.property(fc.array(tradeArbitrary, { minLength: 1, maxLength: 40 }), (trades) => {
        const { entries } = replay(instrument, trades, scale);
        for (const entry of entries) expect(() => assertBalancedEntry(entry)).not.toThrow();
        expect(new Set(entries.map((entry) => entry.idempotencyKey)).size).toBe(entries.length);
      }),
      { numRuns: 100 },
    );
  });

  /**
   * Conservation: with exact arithmetic, members' realised PnL plus their open positions valued at any
   * final price sums to zero (every trade moves value from one member to another). Members are paid their
   * realised PnL rounded down, so the variation-margin house account holds exactly the open positions'
   * PnL at the final price plus the rounding residual: 0 <= residual < 2 units of the scale per trade.
   */
  it.each<[string, Instrument, number]>([
    ['linear future', linearFuture, 2],
    ['inverse perpetual', inversePerpetual, 8],
  ])(
    'the clearinghouse is flat: house VM balance = open PnL + a small non-negative residual (%s)',
    (_name, instrument, scale) => {
      fc.assert(
        fc.property(
          fc.array(tradeArbitrary, { minLength: 1, maxLength: 40 }),
          fc.integer({ min: 1, max: 400_000 }),
          (trades, finalTicks) => {
            const { positions, entries } = replay(instrument, trades, scale);
            const finalPrice = new Decimal(finalTicks).times('0.5');
            const openPnl = [...positions.values()]
              .filter((held) => held.averageEntryPrice !== null)
              .reduce(
                (sum, held) =>
                  sum.plus(unrealisedPnl(instrument, held.quantity, held.averageEntryPrice as Decimal, finalPrice)),
                ZERO,
              );
            const residual = houseBalance(entries, HOUSE.variationMargin).minus(openPnl);
            const unit = new Decimal(10).pow(-scale);
            // 1e-40: the 80-digit precision of averaged entry prices, far below any asset's scale.
            expect(residual.gte('-1e-40')).toBe(true);
            expect(residual.lte(unit.times(2 * trades.length))).toBe(true);
          },
        ),
        { numRuns: 100 },
      );
    },
  );
});
