import { z } from 'zod';

/** A finite JSON number (zod v4 numbers already refuse Infinity and NaN). */
export const finiteNumber = z.number();

/**
 * A money or price amount as a plain decimal string ("-12.50"): amounts never travel as JSON numbers,
 * which would lose precision before parseDecimal could refuse them.
 */
export const decimalString = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a plain decimal string such as "12.50"');

/** A probability strictly between 0 and 1, e.g. a confidence of 0.99. */
export const openUnitFraction = z.number().gt(0).lt(1);

export const optionType = z.enum(['call', 'put']);

export const settlement = z.enum(['linear', 'inverse']);
