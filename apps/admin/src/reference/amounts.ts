import { Decimal, DecimalParseError, parseDecimal } from '@novation/money';
import { fieldException } from './reference-data.exception.js';

/** numeric(38,18): at most 20 integer digits. */
const STORED_MAGNITUDE_LIMIT = new Decimal('1e20');
const STORED_SCALE_MAX = 18;

/** A plain decimal string > 0 (>= 0 when zero is allowed) that numeric(38,18) stores exactly; INVALID_AMOUNT otherwise. */
export function parseAmount(
  text: string,
  field: string,
  options: { readonly scaleMax?: number; readonly zeroAllowed?: boolean } = {},
): Decimal {
  const scaleMax = options.scaleMax ?? STORED_SCALE_MAX;
  let value: Decimal;
  try {
    value = parseDecimal(text, { scaleMax });
  } catch (error) {
    if (error instanceof DecimalParseError) {
      throw fieldException('INVALID_AMOUNT', field, `must be a plain decimal with at most ${scaleMax} decimals`);
    }
    throw error;
  }
  const positive = options.zeroAllowed === true ? value.gte(0) : value.gt(0);
  if (!positive || value.gte(STORED_MAGNITUDE_LIMIT)) {
    throw fieldException('INVALID_AMOUNT', field, options.zeroAllowed === true ? 'must be >= 0' : 'must be > 0');
  }
  return value;
}
