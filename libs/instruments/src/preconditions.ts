import type { Decimal } from '@novation/money';
import type { Instrument } from './instrument.js';
import { InstrumentError } from './instrument-error.js';

/** Prices enter divisions (inverse contracts) and logarithms (pricing): they must be strictly positive. */
export function assertPositivePrice(price: Decimal, name: string): void {
  if (!price.isFinite() || !price.isPositive() || price.isZero()) {
    throw new InstrumentError('NON_POSITIVE_PRICE', `${name} must be > 0, got ${price.toFixed()}`);
  }
}

export function assertNonZeroContracts(contracts: Decimal, name: string): void {
  if (!contracts.isFinite() || contracts.isZero()) {
    throw new InstrumentError('ZERO_CONTRACTS', `${name} must be a non-zero number of contracts`);
  }
}

/** Checks the definition itself: a positive contract size, and a positive strike and valid expiry for options. */
export function assertValidInstrument(instrument: Instrument): void {
  const { contractSize } = instrument;
  if (!contractSize.isFinite() || !contractSize.isPositive() || contractSize.isZero()) {
    throw new InstrumentError('NON_POSITIVE_CONTRACT_SIZE', `${instrument.id}: contractSize must be > 0`);
  }
  if (instrument.kind === 'european_option') {
    const { strikePrice } = instrument;
    if (!strikePrice.isFinite() || !strikePrice.isPositive() || strikePrice.isZero()) {
      throw new InstrumentError('NON_POSITIVE_STRIKE', `${instrument.id}: strikePrice must be > 0`);
    }
  }
  if ('expiryEpochMs' in instrument && !Number.isSafeInteger(instrument.expiryEpochMs)) {
    throw new InstrumentError('INVALID_EXPIRY', `${instrument.id}: expiryEpochMs must be an integer`);
  }
}
