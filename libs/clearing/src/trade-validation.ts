import { DecimalParseError, parseDecimal } from '@novation/money';
import type { Decimal } from '@novation/money';
import type { Instrument } from '@novation/instruments';
import { ClearingError } from './clearing-error.js';
import { assertEpochMs, assertIdentifier, assertInRange, assertPositive, assertScale } from './preconditions.js';

/**
 * A trade executed on a venue, as the clearinghouse receives it. The buyer and seller are clearing member
 * accounts; after novation the clearinghouse is the counterparty of each. Fees are in the instrument's
 * settlement asset, charged by the venue and collected by the clearinghouse; a negative fee is a rebate.
 */
export interface VenueTrade {
  readonly venueId: string;
  readonly tradeId: string;
  readonly instrumentId: string;
  readonly buyerAccountId: string;
  readonly sellerAccountId: string;
  /** Contracts traded, > 0. */
  readonly quantity: Decimal;
  /** Trade price in the quote asset; for an option, the premium per unit of the underlying. */
  readonly price: Decimal;
  readonly buyerFee: Decimal;
  readonly sellerFee: Decimal;
  readonly executedAtEpochMs: number;
}

export interface TradeValidationContext {
  readonly instrument: Instrument;
  /** Smallest tradable quantity increment; the quantity must be a whole multiple of it. */
  readonly quantityStep: Decimal;
  /** Smallest price increment, when the venue enforces one. */
  readonly priceTick?: Decimal;
  /** Decimals of the settlement asset (e.g. 6 for USDC, 8 for BTC): fees may not be finer. */
  readonly settlementAssetScale: number;
  /** The caller's clock: this library never reads one. */
  readonly nowEpochMs: number;
  /** Decided by the caller (instrument status, expiry time); dated contracts are also checked below. */
  readonly instrumentExpired: boolean;
}

/** Venue clocks drift: a trade stamped up to this far ahead of our clock is accepted, further is refused. */
export const EXECUTION_CLOCK_SKEW_MAX_MS = 5_000;

/** Checks a venue trade against its instrument before it is novated; throws ClearingError on the first fault. */
export function validateTrade(trade: VenueTrade, context: TradeValidationContext): void {
  assertTradeIdentifiers(trade, context.instrument);
  assertTradeTiming(trade, context);
  assertTradeQuantity(trade.quantity, context.quantityStep);
  assertTradePrice(trade.price, context.priceTick);
  assertFee(trade.buyerFee, 'buyerFee', context.settlementAssetScale);
  assertFee(trade.sellerFee, 'sellerFee', context.settlementAssetScale);
}

function assertTradeIdentifiers(trade: VenueTrade, instrument: Instrument): void {
  assertIdentifier(trade.venueId, 'venueId');
  assertIdentifier(trade.tradeId, 'tradeId');
  assertIdentifier(trade.instrumentId, 'instrumentId');
  assertIdentifier(trade.buyerAccountId, 'buyerAccountId');
  assertIdentifier(trade.sellerAccountId, 'sellerAccountId');
  if (trade.instrumentId !== instrument.id) {
    throw new ClearingError('INSTRUMENT_MISMATCH', 'instrumentId', `is ${trade.instrumentId}, not ${instrument.id}`);
  }
  // A member trading with itself moves no risk and would only wash fees or rebates through the house.
  if (trade.buyerAccountId === trade.sellerAccountId) {
    throw new ClearingError('SELF_TRADE', 'sellerAccountId', 'is the same account as buyerAccountId');
  }
}

function assertTradeTiming(trade: VenueTrade, context: TradeValidationContext): void {
  assertEpochMs(context.nowEpochMs, 'nowEpochMs');
  assertEpochMs(trade.executedAtEpochMs, 'executedAtEpochMs');
  if (trade.executedAtEpochMs > context.nowEpochMs + EXECUTION_CLOCK_SKEW_MAX_MS) {
    throw new ClearingError('FUTURE_TIMESTAMP', 'executedAtEpochMs', 'is ahead of the clearinghouse clock');
  }
  const { instrument } = context;
  const executedAfterExpiry = 'expiryEpochMs' in instrument && trade.executedAtEpochMs >= instrument.expiryEpochMs;
  if (context.instrumentExpired || executedAfterExpiry) {
    throw new ClearingError('INSTRUMENT_EXPIRED', 'instrumentId', `${instrument.id} has expired`);
  }
}

function assertTradeQuantity(quantity: Decimal, quantityStep: Decimal): void {
  assertPositive(quantityStep, 'quantityStep', 'NON_POSITIVE_STEP');
  assertPositive(quantity, 'quantity', 'NON_POSITIVE_QUANTITY');
  if (!quantity.modulo(quantityStep).isZero()) {
    throw new ClearingError('QUANTITY_STEP', 'quantity', `must be a multiple of ${quantityStep.toFixed()}`);
  }
}

function assertTradePrice(price: Decimal, priceTick: Decimal | undefined): void {
  assertPositive(price, 'price', 'NON_POSITIVE_PRICE');
  if (priceTick === undefined) return;
  assertPositive(priceTick, 'priceTick', 'NON_POSITIVE_STEP');
  if (!price.modulo(priceTick).isZero()) {
    throw new ClearingError('PRICE_TICK', 'price', `must be a multiple of ${priceTick.toFixed()}`);
  }
}

/** A fee finer than the settlement asset cannot be posted exactly; refused rather than silently rounded. */
function assertFee(fee: Decimal, field: string, settlementAssetScale: number): void {
  assertScale(settlementAssetScale, 'settlementAssetScale');
  assertInRange(fee, field);
  if (fee.decimalPlaces() > settlementAssetScale) {
    throw new ClearingError('FEE_SCALE', field, `has more than ${settlementAssetScale} decimals`);
  }
}

const IDENTIFIER_FIELDS = ['venueId', 'tradeId', 'instrumentId', 'buyerAccountId', 'sellerAccountId'] as const;
const DECIMAL_FIELDS = ['quantity', 'price', 'buyerFee', 'sellerFee'] as const;
const TRADE_INPUT_FIELDS: ReadonlySet<string> = new Set([...IDENTIFIER_FIELDS, ...DECIMAL_FIELDS, 'executedAtEpochMs']);

/**
 * Turns a decoded JSON trade message into a VenueTrade. Decimals must arrive as plain decimal strings
 * (parseDecimal refuses JS numbers, NaN, Infinity, exponent notation, hexadecimal and whitespace): a
 * price that travelled as a float has already lost precision. The timestamp is a JSON integer. Unknown
 * fields are refused so a renamed field on the venue side fails loudly instead of being ignored.
 */
export function parseTradeInput(raw: unknown): VenueTrade {
  const record = asRecord(raw);
  for (const key of Object.keys(record)) {
    if (!TRADE_INPUT_FIELDS.has(key)) throw new ClearingError('UNKNOWN_FIELD', key, 'is not a trade field');
  }
  const executedAtEpochMs = requiredField(record, 'executedAtEpochMs');
  if (typeof executedAtEpochMs !== 'number') {
    throw new ClearingError('INVALID_FIELD_TYPE', 'executedAtEpochMs', 'must be an integer number');
  }
  assertEpochMs(executedAtEpochMs, 'executedAtEpochMs');
  return {
    venueId: identifierField(record, 'venueId'),
    tradeId: identifierField(record, 'tradeId'),
    instrumentId: identifierField(record, 'instrumentId'),
    buyerAccountId: identifierField(record, 'buyerAccountId'),
    sellerAccountId: identifierField(record, 'sellerAccountId'),
    quantity: decimalField(record, 'quantity'),
    price: decimalField(record, 'price'),
    buyerFee: decimalField(record, 'buyerFee'),
    sellerFee: decimalField(record, 'sellerFee'),
    executedAtEpochMs,
  };
}

function asRecord(raw: unknown): Readonly<Record<string, unknown>> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ClearingError('NOT_AN_OBJECT', 'trade', 'must be a JSON object');
  }
  return raw as Readonly<Record<string, unknown>>;
}

function requiredField(record: Readonly<Record<string, unknown>>, field: string): unknown {
  if (!Object.hasOwn(record, field) || record[field] === undefined || record[field] === null) {
    throw new ClearingError('MISSING_FIELD', field, 'is required');
  }
  return record[field];
}

function identifierField(record: Readonly<Record<string, unknown>>, field: string): string {
  const value = requiredField(record, field);
  if (typeof value !== 'string') throw new ClearingError('INVALID_FIELD_TYPE', field, 'must be a string');
  assertIdentifier(value, field);
  return value;
}

function decimalField(record: Readonly<Record<string, unknown>>, field: string): Decimal {
  const value = requiredField(record, field);
  if (typeof value !== 'string') {
    throw new ClearingError('INVALID_FIELD_TYPE', field, 'must be a decimal string such as "12.5"');
  }
  try {
    return parseDecimal(value);
  } catch (error) {
    if (!(error instanceof DecimalParseError)) throw error;
    throw new ClearingError('INVALID_DECIMAL', field, `is not a plain decimal (${error.code})`, { cause: error });
  }
}
