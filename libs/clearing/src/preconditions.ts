import { Decimal, ZERO } from '@novation/money';
import { ClearingError } from './clearing-error.js';
import type { ClearingErrorCode } from './clearing-error.js';

/** Venue, trade, instrument, account and run identifiers: short, printable, safe inside an idempotency key. */
const IDENTIFIER_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/** Largest magnitude of a quantity, price or amount: numeric(38,18) keeps 20 digits before the point. */
export const DECIMAL_MAGNITUDE_MAX = new Decimal('1e20');

/** Most positions in one funding, variation-margin or expiry run; one posting each plus the house posting. */
export const POSITIONS_PER_RUN_MAX = 5_000;

/** Largest settlement-asset scale: the ledger stores numeric(38,18). */
const SCALE_MAX = 18;

export function assertIdentifier(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string' || !IDENTIFIER_PATTERN.test(value)) {
    throw new ClearingError('INVALID_IDENTIFIER', field, 'must be 1..128 characters of [A-Za-z0-9_.-]');
  }
}

export function assertScale(scale: number, field: string): void {
  if (!Number.isInteger(scale) || scale < 0 || scale > SCALE_MAX) {
    throw new ClearingError('INVALID_SCALE', field, `must be an integer in [0, ${SCALE_MAX}], got ${scale}`);
  }
}

/** Finite and below DECIMAL_MAGNITUDE_MAX in magnitude: anything larger is a feed error, not a trade. */
export function assertInRange(value: Decimal, field: string): void {
  if (!value.isFinite() || value.abs().gte(DECIMAL_MAGNITUDE_MAX)) {
    throw new ClearingError('OUT_OF_RANGE', field, `must be finite and below 1e20 in magnitude`);
  }
}

export function assertPositive(value: Decimal, field: string, code: ClearingErrorCode): void {
  assertInRange(value, field);
  if (!value.isPositive() || value.isZero()) {
    throw new ClearingError(code, field, `must be > 0, got ${value.toFixed()}`);
  }
}

export function assertEpochMs(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ClearingError('INVALID_TIMESTAMP', field, 'must be a non-negative integer of epoch milliseconds');
  }
}

/** The position rows of one run: bounded, one per account, none held by a house account, and flat. */
export interface MemberQuantity {
  readonly accountId: string;
  readonly quantity: Decimal;
}

/**
 * Checks the positions of one instrument given to a funding, variation-margin or expiry run. They must
 * sum to zero: the clearinghouse is counterparty to every contract, so members' positions net to nothing,
 * and a non-zero sum means a position is missing from the run (which would then be paid from house money).
 */
export function assertFlatPositionBatch(
  positions: readonly MemberQuantity[],
  houseAccountId: string,
  field: string,
): void {
  assertIdentifier(houseAccountId, 'houseAccount');
  if (positions.length > POSITIONS_PER_RUN_MAX) {
    throw new ClearingError('TOO_MANY_POSITIONS', field, `has more than ${POSITIONS_PER_RUN_MAX} positions`);
  }
  const seenAccountIds = new Set<string>();
  let netQuantity = ZERO;
  positions.forEach((position, index) => {
    assertIdentifier(position.accountId, `${field}[${index}].accountId`);
    assertInRange(position.quantity, `${field}[${index}].quantity`);
    if (seenAccountIds.has(position.accountId)) {
      throw new ClearingError('DUPLICATE_ACCOUNT', `${field}[${index}].accountId`, 'appears twice in the run');
    }
    if (position.accountId === houseAccountId) {
      throw new ClearingError('HOUSE_ACCOUNT_IS_MEMBER', `${field}[${index}].accountId`, 'is the house account');
    }
    seenAccountIds.add(position.accountId);
    netQuantity = netQuantity.plus(position.quantity);
  });
  if (!netQuantity.isZero()) {
    throw new ClearingError('POSITIONS_NOT_FLAT', field, `net to ${netQuantity.toFixed()}, not 0`);
  }
}
