export { chiSquareCumulativeProbability, chiSquareSurvivalProbability } from './chi-square.js';
export { BINOMIAL_TRIALS_MAX, binomialCumulativeProbability, binomialUpperTailProbability } from './binomial.js';
export { BACKTEST_OBSERVATION_COUNT_MAX, backtestExceptions } from './exceptions.js';
export type { BacktestExceptions } from './exceptions.js';
export { kupiecProportionOfFailures } from './kupiec.js';
export type { LikelihoodRatioTest } from './kupiec.js';
export {
  christoffersenConditionalCoverage,
  christoffersenIndependence,
  exceptionTransitionCounts,
} from './christoffersen.js';
export type {
  ChristoffersenConditionalCoverageTest,
  ChristoffersenIndependenceTest,
  TransitionCounts,
} from './christoffersen.js';
export {
  TRAFFIC_LIGHT_GREEN_CUMULATIVE_PROBABILITY_MAX,
  TRAFFIC_LIGHT_YELLOW_CUMULATIVE_PROBABILITY_MAX,
  baselTrafficLightBoundaries,
  baselTrafficLightZone,
} from './traffic-light.js';
export type { TrafficLightResult, TrafficLightZone } from './traffic-light.js';
