import { assertFiniteSeries, assertPositiveInteger } from './var-preconditions.js';

/**
 * Two ways to take one-day risk to the margin period of risk (the days a clearinghouse needs to close
 * out a defaulter's portfolio; Commission Delegated Regulation (EU) 153/2013 art. 26 sets at least five
 * business days for OTC derivatives and two for other instruments; CPMI-IOSCO PFMI principle 6 asks for a
 * conservative estimate).
 */

/**
 * Overlapping h-day returns from daily simple returns: window t compounds returns t..t+h-1,
 *   R_t = Π (1 + r_s) - 1,   t = 0 .. n - h
 * which keeps n - h + 1 scenarios instead of n / h. The windows share days, so the scenarios are not
 * independent: fine for a quantile estimate, wrong for a backtest that counts them as independent trials.
 */
export function overlappingHorizonReturns(dailyReturns: readonly number[], horizonDays: number): number[] {
  assertFiniteSeries('dailyReturns', dailyReturns, 1);
  assertPositiveInteger('horizonDays', horizonDays);
  if (horizonDays > dailyReturns.length) {
    throw new RangeError(`horizonDays ${horizonDays} exceeds the ${dailyReturns.length} daily returns`);
  }
  dailyReturns.forEach((value, index) => {
    if (!(value > -1)) throw new RangeError(`dailyReturns[${index}] must be > -1 (a price cannot fall below 0)`);
  });
  // Sum of log(1 + r) over a sliding window, recomputed per window (h is small), to avoid drift.
  const logGrowth = dailyReturns.map((value) => Math.log1p(value));
  const windows: number[] = [];
  for (let start = 0; start + horizonDays <= logGrowth.length; start += 1) {
    let sum = 0;
    for (let offset = 0; offset < horizonDays; offset += 1) sum += logGrowth[start + offset] ?? 0;
    windows.push(Math.expm1(sum));
  }
  return windows;
}

/**
 * Square-root-of-time scaling: a one-day VaR or standard deviation times √h. Exact for i.i.d. normal
 * returns with zero mean (Hull, "Model-Building Approach"); it understates fat-tailed or autocorrelated
 * risk, which is why overlapping returns are preferred when the history allows.
 */
export function squareRootOfTimeScaled(oneDayValue: number, horizonDays: number): number {
  if (!Number.isFinite(oneDayValue)) throw new RangeError(`oneDayValue must be finite, got ${oneDayValue}`);
  assertPositiveInteger('horizonDays', horizonDays);
  return oneDayValue * Math.sqrt(horizonDays);
}
