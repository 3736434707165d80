/**
 * Input checks for the VaR functions. Risk math runs on float64, so a NaN or an Infinity in a P&L vector
 * would silently turn a margin into NaN; every series is checked once at the function boundary.
 */

/** Longest series a VaR function accepts: decades of daily data or years of intraday data fit well inside. */
export const VAR_OBSERVATION_COUNT_MAX = 1_000_000;

export function assertFiniteSeries(name: string, values: readonly number[], lengthMin: number): void {
  if (values.length < lengthMin)
    throw new RangeError(`${name} needs at least ${lengthMin} values, got ${values.length}`);
  if (values.length > VAR_OBSERVATION_COUNT_MAX) {
    throw new RangeError(`${name} has ${values.length} values, more than ${VAR_OBSERVATION_COUNT_MAX}`);
  }
  values.forEach((value, index) => {
    if (!Number.isFinite(value)) throw new RangeError(`${name}[${index}] must be a finite number, got ${value}`);
  });
}

export function assertConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
}

export function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be an integer >= 1, got ${value}`);
}

export function assertPositiveFinite(name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be finite and > 0, got ${value}`);
}

/**
 * Neumaier's compensated sum: the error of a plain float64 sum grows with the length of the series and
 * depends on its order; this keeps it at one rounding, so ES does not drift with the order of scenarios.
 */
export function compensatedSum(values: Iterable<number>): number {
  let sum = 0;
  let compensation = 0;
  for (const value of values) {
    const next = sum + value;
    compensation += Math.abs(sum) >= Math.abs(value) ? sum - next + value : value - next + sum;
    sum = next;
  }
  return sum + compensation;
}
