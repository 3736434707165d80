import { binomialCumulativeProbability } from './binomial.js';
import { assertExpectedExceptionProbability } from './likelihood-ratio.js';

/**
 * The Basel traffic light (Basel Committee, "Supervisory framework for the use of backtesting in
 * conjunction with the internal models approach to market risk capital requirements", 1996, Table 2):
 * for 250 observations at 99%, green 0-4 exceptions, yellow 5-9, red 10 or more. The zones are defined
 * by the binomial cumulative probability P(X <= x) under a correct model: green while it is below 95%,
 * yellow while below 99.99%, red from there. Applying the same two cut-offs to any n and p generalises
 * the table (for n = 250, p = 0.01: P(X <= 4) = 89.2%, P(X <= 5) = 95.9%, P(X <= 9) = 99.97%,
 * P(X <= 10) = 99.995%).
 */
export const TRAFFIC_LIGHT_GREEN_CUMULATIVE_PROBABILITY_MAX = 0.95;
export const TRAFFIC_LIGHT_YELLOW_CUMULATIVE_PROBABILITY_MAX = 0.9999;

export type TrafficLightZone = 'green' | 'yellow' | 'red';

export interface TrafficLightResult {
  readonly zone: TrafficLightZone;
  /** P(X <= exceptionCount) for X ~ Binomial(observationCount, expectedExceptionProbability). */
  readonly cumulativeProbability: number;
}

export function baselTrafficLightZone(input: {
  readonly observationCount: number;
  readonly exceptionCount: number;
  readonly expectedExceptionProbability: number;
}): TrafficLightResult {
  const { observationCount, exceptionCount, expectedExceptionProbability } = input;
  assertExpectedExceptionProbability(expectedExceptionProbability);
  if (!Number.isSafeInteger(observationCount) || observationCount < 1) {
    throw new RangeError(`observationCount must be an integer >= 1, got ${observationCount}`);
  }
  if (!Number.isSafeInteger(exceptionCount) || exceptionCount < 0 || exceptionCount > observationCount) {
    throw new RangeError(`exceptionCount must be an integer in [0, observationCount], got ${exceptionCount}`);
  }
  const cumulativeProbability = binomialCumulativeProbability(
    exceptionCount,
    observationCount,
    expectedExceptionProbability,
  );
  return { zone: zoneOf(cumulativeProbability), cumulativeProbability };
}

/** The largest exception counts that stay green and yellow for n observations at exception probability p. */
export function baselTrafficLightBoundaries(input: {
  readonly observationCount: number;
  readonly expectedExceptionProbability: number;
}): { readonly greenExceptionCountMax: number; readonly yellowExceptionCountMax: number } {
  let greenExceptionCountMax = -1;
  let yellowExceptionCountMax = -1;
  for (let exceptionCount = 0; exceptionCount <= input.observationCount; exceptionCount += 1) {
    const { zone } = baselTrafficLightZone({ ...input, exceptionCount });
    if (zone === 'red') break;
    if (zone === 'green') greenExceptionCountMax = exceptionCount;
    yellowExceptionCountMax = exceptionCount;
  }
  return { greenExceptionCountMax, yellowExceptionCountMax };
}

function zoneOf(cumulativeProbability: number): TrafficLightZone {
  if (cumulativeProbability < TRAFFIC_LIGHT_GREEN_CUMULATIVE_PROBABILITY_MAX) return 'green';
  if (cumulativeProbability < TRAFFIC_LIGHT_YELLOW_CUMULATIVE_PROBABILITY_MAX) return 'yellow';
  return 'red';
}
