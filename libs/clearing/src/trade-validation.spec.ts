import { Decimal } from '@novation/money';
import type { EuropeanOption, LinearPerpetual } from '@novation/instruments';
import { ClearingError } from './clearing-error.js';
import { EXECUTION_CLOCK_SKEW_MAX_MS, parseTradeInput, validateTrade } from './trade-validation.js';
import type { TradeValidationContext, VenueTrade } from './trade-validation.js';

const d = (value: string): Decimal => new Decimal(value);
const NOW_EPOCH_MS = 1_735_689_600_000; // 2025-01-01T00:00:00Z

const perpetual: LinearPerpetual = {
  kind: 'linear_perpetual',
  id: 'BTC-USDC-PERP',
  underlying: 'BTC',
  quoteAsset: 'USDC',
  settlementAsset: 'USDC',
  contractSize: d('0.001'),
};

const option: EuropeanOption = {
  kind: 'european_option',
  id: 'BTC-20250101-100000-C',
  underlying: 'BTC',
  quoteAsset: 'USD',
  settlementAsset: 'BTC',
  settlement: 'inverse',
  underlyingReference: 'spot',
  optionType: 'call',
  strikePrice: d('100000'),
  contractSize: d('1'),
  expiryEpochMs: NOW_EPOCH_MS + 1_000,
};

const trade: VenueTrade = {
  venueId: 'deribit',
  tradeId: 'T-1.a_b',
  instrumentId: perpetual.id,
  buyerAccountId: 'member-a',
  sellerAccountId: 'member-b',
  quantity: d('2.5'),
  price: d('50000.5'),
  buyerFee: d('0.125'),
  sellerFee: d('-0.05'),
  executedAtEpochMs: NOW_EPOCH_MS - 10,
};

const context: TradeValidationContext = {
  instrument: perpetual,
  quantityStep: d('0.5'),
  priceTick: d('0.5'),
  settlementAssetScale: 6,
  nowEpochMs: NOW_EPOCH_MS,
  instrumentExpired: false,
};

function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ClearingError);
    return (error as ClearingError).code;
  }
  return 'NO_ERROR';
}

describe('validateTrade', () => {
  it('accepts a valid trade, including a negative (rebate) fee', () => {
    expect(codeOf(() => validateTrade(trade, context))).toBe('NO_ERROR');
  });

  it('accepts a trade without a price tick and one stamped within the clock skew', () => {
    const { priceTick: _priceTick, ...withoutTick } = context;
    const ahead = { ...trade, price: d('50000.123'), executedAtEpochMs: NOW_EPOCH_MS + EXECUTION_CLOCK_SKEW_MAX_MS };
    expect(codeOf(() => validateTrade(ahead, withoutTick))).toBe('NO_ERROR');
  });

  it.each<[string, Partial<VenueTrade>, Partial<TradeValidationContext>, string]>([
    ['buyer = seller', { sellerAccountId: 'member-a' }, {}, 'SELF_TRADE'],
    ['expired flag', {}, { instrumentExpired: true }, 'INSTRUMENT_EXPIRED'],
    ['another instrument', { instrumentId: 'ETH-USDC-PERP' }, {}, 'INSTRUMENT_MISMATCH'],
    ['zero quantity', { quantity: d('0') }, {}, 'NON_POSITIVE_QUANTITY'],
    ['negative quantity', { quantity: d('-0.5') }, {}, 'NON_POSITIVE_QUANTITY'],
    ['NaN quantity', { quantity: d('NaN') }, {}, 'OUT_OF_RANGE'],
    ['huge quantity', { quantity: d('1e20') }, {}, 'OUT_OF_RANGE'],
    ['quantity off step (2.25 / 0.5)', { quantity: d('2.25') }, {}, 'QUANTITY_STEP'],
    ['zero step', {}, { quantityStep: d('0') }, 'NON_POSITIVE_STEP'],
    ['zero price', { price: d('0') }, {}, 'NON_POSITIVE_PRICE'],
    ['negative price', { price: d('-1') }, {}, 'NON_POSITIVE_PRICE'],
    ['price off tick (50000.25 / 0.5)', { price: d('50000.25') }, {}, 'PRICE_TICK'],
    ['zero tick', {}, { priceTick: d('0') }, 'NON_POSITIVE_STEP'],
    ['buyer fee finer than USDC (7 decimals)', { buyerFee: d('0.0000001') }, {}, 'FEE_SCALE'],
    ['seller rebate finer than USDC', { sellerFee: d('-0.0000001') }, {}, 'FEE_SCALE'],
    ['invalid scale', {}, { settlementAssetScale: 19 }, 'INVALID_SCALE'],
    [
      'trade from the future',
      { executedAtEpochMs: NOW_EPOCH_MS + EXECUTION_CLOCK_SKEW_MAX_MS + 1 },
      {},
      'FUTURE_TIMESTAMP',
    ],
    ['fractional timestamp', { executedAtEpochMs: 1.5 }, {}, 'INVALID_TIMESTAMP'],
    ['negative timestamp', { executedAtEpochMs: -1 }, {}, 'INVALID_TIMESTAMP'],
    ['empty trade id', { tradeId: '' }, {}, 'INVALID_IDENTIFIER'],
    ['129-character trade id', { tradeId: 'x'.repeat(129) }, {}, 'INVALID_IDENTIFIER'],
    ['trade id with a space', { tradeId: 'T 1' }, {}, 'INVALID_IDENTIFIER'],
    ['trade id with a colon (would forge a key)', { tradeId: 'a:b' }, {}, 'INVALID_IDENTIFIER'],
    ['empty venue id', { venueId: '' }, {}, 'INVALID_IDENTIFIER'],
  ])('refuses %s', (_name, tradeChange, contextChange, code) => {
    expect(codeOf(() => validateTrade({ ...trade, ...tradeChange }, { ...context, ...contextChange }))).toBe(code);
  });

  it('accepts a 128-character trade id', () => {
    expect(codeOf(() => validateTrade({ ...trade, tradeId: 'x'.repeat(128) }, context))).toBe('NO_ERROR');
  });

  it('refuses a trade on a dated contract executed at or after its expiry even without the flag', () => {
    const optionTrade = { ...trade, instrumentId: option.id, quantity: d('1'), price: d('0.05') };
    const optionContext = { ...context, instrument: option, priceTick: d('0.0005') };
    expect(codeOf(() => validateTrade(optionTrade, optionContext))).toBe('NO_ERROR');
    const late = { ...optionTrade, executedAtEpochMs: option.expiryEpochMs };
    expect(codeOf(() => validateTrade(late, { ...optionContext, nowEpochMs: option.expiryEpochMs }))).toBe(
      'INSTRUMENT_EXPIRED',
    );
  });

  it('names the refused field in the message', () => {
    expect(() => validateTrade({ ...trade, quantity: d('2.25') }, context)).toThrow(/QUANTITY_STEP: quantity/);
  });
});

describe('parseTradeInput', () => {
  const raw = {
    venueId: 'deribit',
    tradeId: 'T-1',
    instrumentId: 'BTC-USDC-PERP',
    buyerAccountId: 'member-a',
    sellerAccountId: 'member-b',
    quantity: '2.5',
    price: '50000.123456789012345678',
    buyerFee: '0.125',
    sellerFee: '-0.05',
    executedAtEpochMs: NOW_EPOCH_MS,
  };

  it('parses decimal strings exactly', () => {
    const parsed = parseTradeInput(raw);
    expect(parsed.price.toFixed()).toBe('50000.123456789012345678');
    expect(parsed.sellerFee.toFixed()).toBe('-0.05');
    expect(parsed.quantity.eq('2.5')).toBe(true);
    expect(parsed.executedAtEpochMs).toBe(NOW_EPOCH_MS);
  });

  it.each<[string, unknown, string]>([
    ['null', null, 'NOT_AN_OBJECT'],
    ['an array', [raw], 'NOT_AN_OBJECT'],
    ['a string', 'trade', 'NOT_AN_OBJECT'],
    ['a missing price', { ...raw, price: undefined }, 'MISSING_FIELD'],
    ['a null fee', { ...raw, buyerFee: null }, 'MISSING_FIELD'],
    ['an unknown field', { ...raw, side: 'buy' }, 'UNKNOWN_FIELD'],
    ['a JS number quantity', { ...raw, quantity: 2.5 }, 'INVALID_FIELD_TYPE'],
    ['a JS number price', { ...raw, price: 0.1 }, 'INVALID_FIELD_TYPE'],
    ['a numeric trade id', { ...raw, tradeId: 1 }, 'INVALID_FIELD_TYPE'],
    ['a string timestamp', { ...raw, executedAtEpochMs: '1735689600000' }, 'INVALID_FIELD_TYPE'],
    ['a fractional timestamp', { ...raw, executedAtEpochMs: 1.5 }, 'INVALID_TIMESTAMP'],
    ['NaN timestamp', { ...raw, executedAtEpochMs: Number.NaN }, 'INVALID_TIMESTAMP'],
    ['NaN price', { ...raw, price: 'NaN' }, 'INVALID_DECIMAL'],
    ['Infinity price', { ...raw, price: 'Infinity' }, 'INVALID_DECIMAL'],
    ['exponent quantity 1e3', { ...raw, quantity: '1e3' }, 'INVALID_DECIMAL'],
    ['hexadecimal quantity', { ...raw, quantity: '0x10' }, 'INVALID_DECIMAL'],
    ['padded quantity', { ...raw, quantity: ' 1' }, 'INVALID_DECIMAL'],
    ['trailing point', { ...raw, quantity: '1.' }, 'INVALID_DECIMAL'],
    ['empty fee', { ...raw, buyerFee: '' }, 'INVALID_DECIMAL'],
    ['101-character decimal', { ...raw, price: '1'.repeat(101) }, 'INVALID_DECIMAL'],
    ['an invalid account id', { ...raw, buyerAccountId: 'a/b' }, 'INVALID_IDENTIFIER'],
  ])('refuses %s', (_name, input, code) => {
    expect(codeOf(() => parseTradeInput(input))).toBe(code);
  });

  it('keeps the parse error as the cause', () => {
    try {
      parseTradeInput({ ...raw, price: '1e3' });
    } catch (error) {
      expect((error as ClearingError).field).toBe('price');
      expect(String((error as Error).cause)).toMatch(/NOT_PLAIN_DECIMAL/);
    }
    expect.assertions(2);
  });
});
