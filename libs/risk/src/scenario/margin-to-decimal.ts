import type { Decimal } from '@novation/money';
import { Decimal as DecimalValue, roundRequirement } from '@novation/money';
import { ScenarioMarginError } from './scenario-margin-error.js';

/**
 * The ONE place margin figures leave float64 (portfolio-scenario and historical-ES). Scenario maths runs
 * on float64 for speed (a book of 100k accounts x 35 scenarios); amounts that reach the ledger must be
 * Decimal, and a requirement is rounded UP to `scale` so float noise and truncation never lower a margin
 * in the member's favour.
 *
 * The float is read as its shortest round-trip decimal (Number#toString), then rounded up (away from
 * zero) to `scale` places: 0.1 stays 0.1, 0.1000001 at scale 6 becomes 0.100001.
 */
export function scenarioMarginToDecimal(amount: number, scale: number): Decimal {
  return new DecimalValue(scenarioMarginToDecimalString(amount, scale));
}

/**
 * The same conversion as a plain decimal string, without building a Decimal: a book sweep converts every
 * account's IM and MM, and decimal.js costs about a microsecond per value, more than margining the account.
 * For the common case (a plain `123.456789123` representation) the rounding is done on the digits; the
 * rare exponent forms (below 1e-6 or above 1e21) go through decimal.js. A spec checks both paths agree
 * with roundRequirement(new Decimal(amount.toString()), scale) on random floats.
 */
export function scenarioMarginToDecimalString(amount: number, scale: number): string {
  if (!Number.isFinite(amount) || amount < 0) {
    throw new ScenarioMarginError('INVALID_PARAMETERS', `a margin must be finite and >= 0, got ${amount}`);
  }
  if (!Number.isInteger(scale) || scale < 0 || scale > 18) {
    throw new ScenarioMarginError('INVALID_PARAMETERS', `scale must be an integer in [0, 18], got ${scale}`);
  }
  const fast = fastRoundUp(amount, scale);
  if (fast !== undefined) return fast;
  const text = amount.toString();
  if (text.includes('e')) return roundRequirement(new DecimalValue(text), scale).toFixed();
  const dot = text.indexOf('.');
  // Shortest representations have no trailing zeros, so any digit beyond `scale` is non-zero.
  if (dot < 0 || text.length - dot - 1 <= scale) return text;
  const kept = scale === 0 ? text.slice(0, dot) : text.slice(0, dot + 1 + scale);
  return stripTrailingZeros(incrementLastDigit(kept));
}

/**
 * The same rounding as an exact integer count of 10^-scale units (float64 holds integers exactly below
 * 2^53): what a book sweep keeps per account, so decimal.js is touched only when an amount is stored or
 * settled (units / 10^scale is then an exact Decimal). Refuses amounts whose unit count reaches 2^53.
 * Equal to scenarioMarginToDecimalString(amount, scale) x 10^scale (checked by a property spec).
 */
export function scenarioMarginToUnits(amount: number, scale: number): number {
  const scaled = amount * (POWERS_OF_TEN[scale] ?? Number.NaN);
  if (
    scaled >= 0 &&
    scaled < FAST_SCALED_MAX &&
    Math.abs(scaled - Math.round(scaled)) > FAST_GUARD_RELATIVE * (scaled + 1)
  ) {
    return Math.ceil(scaled);
  }
  const text = scenarioMarginToDecimalString(amount, scale);
  const dot = text.indexOf('.');
  const fraction = dot < 0 ? '' : text.slice(dot + 1);
  const units = Number(`${dot < 0 ? text : text.slice(0, dot)}${fraction.padEnd(scale, '0')}`);
  if (!Number.isSafeInteger(units)) {
    throw new ScenarioMarginError('INVALID_PARAMETERS', `${text} has more than 2^53 units at scale ${scale}`);
  }
  return units;
}

const POWERS_OF_TEN = Array.from({ length: 19 }, (_, exponent) => 10 ** exponent);
/** Scaled values below this are integers exactly representable in float64 with room to spare. */
const FAST_SCALED_MAX = 2 ** 51;
/**
 * How far (relative to p) p must be from an integer for the float ceiling to be trusted: the shortest
 * decimal of `amount` is within half an ulp of it and the product adds one rounding, so p is within
 * 2.3e-16 x p of the shortest decimal times 10^scale; 4e-15 leaves a margin of 17. (At p = 6e11 units,
 * values within 0.0024 of a unit, about 0.5% of them, take the digit path.)
 */
const FAST_GUARD_RELATIVE = 4e-15;

/**
 * Rounding on the float itself when it is safe: with p = amount x 10^scale, the shortest decimal of
 * `amount` times 10^scale differs from p by under 3e-16 x p (half an ulp of amount, plus the rounding of
 * the product). When p is farther than FAST_GUARD_RELATIVE x (p + 1) from every integer, both have the same ceiling,
 * so ceil(p) units is the answer. Values near an integer (0.1 -> 100000.00000000001) return undefined
 * and take the digit path, which reads the shortest decimal exactly.
 */
function fastRoundUp(amount: number, scale: number): string | undefined {
  const scaled = amount * (POWERS_OF_TEN[scale] ?? Number.NaN);
  if (!(scaled < FAST_SCALED_MAX)) return undefined;
  if (Math.abs(scaled - Math.round(scaled)) <= FAST_GUARD_RELATIVE * (scaled + 1)) return undefined;
  return formatUnits(Math.ceil(scaled), scale);
}

/** `units` smallest units (an integer) at `scale` places as a plain decimal string without trailing zeros. */
function formatUnits(units: number, scale: number): string {
  if (scale === 0) return String(units);
  const digits = String(units).padStart(scale + 1, '0');
  return stripTrailingZeros(`${digits.slice(0, -scale)}.${digits.slice(-scale)}`);
}

/** Adds one unit in the last place of a non-negative plain decimal string, carrying through the dot. */
function incrementLastDigit(text: string): string {
  const digits = text.split('');
  for (let index = digits.length - 1; index >= 0; index -= 1) {
    const digit = digits[index];
    if (digit === '.') continue;
    if (digit !== '9') {
      digits[index] = String(Number(digit) + 1);
      return digits.join('');
    }
    digits[index] = '0';
  }
  return `1${digits.join('')}`;
}

function stripTrailingZeros(text: string): string {
  if (!text.includes('.')) return text;
  const stripped = text.replace(/0+$/, '');
  return stripped.endsWith('.') ? stripped.slice(0, -1) : stripped;
}
