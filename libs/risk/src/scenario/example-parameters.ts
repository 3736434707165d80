import type { ScenarioMarginParameters } from './scenario-parameters.js';

/**
 * The classic SPAN 16 scenarios as parameter data (CME pubspan "Risk Arrays"): price at 0, +-1/3, +-2/3,
 * +-3/3 of the price scan range, each with vol up and down by the vol scan range, then two extreme moves
 * of twice the range counted at 35% (the cover fraction). SPAN has no vol term structure: powers are 0.
 */
export function span16Parameters(
  priceScanRangeFraction: number,
  volatilityScanRangeFraction: number,
): ScenarioMarginParameters {
  const range = priceScanRangeFraction;
  return {
    priceShockFractions: [0, range / 3, -range / 3, (2 * range) / 3, (-2 * range) / 3, range, -range],
    volatilityShockFractions: [volatilityScanRangeFraction, -volatilityScanRangeFraction],
    tailScenarios: [
      { priceShockFraction: 2 * range, volatilityShockFraction: 0, weight: 0.35 },
      { priceShockFraction: -2 * range, volatilityShockFraction: 0, weight: 0.35 },
    ],
    volatilityScaling: {
      referenceDays: 30,
      shortDatedThresholdDays: 0,
      shortDatedPower: 0,
      longDatedPower: 0,
      daysToExpiryMin: 1,
    },
    volatilityFloor: 0.01,
    shortOptionChargeFraction: 0,
    netDeltaChargeFraction: 0,
    maintenanceFactor: 1,
    groupOffsets: [],
  };
}

/** SPAN 16 with a 10% price scan range and a 25% relative vol scan range: an example, not a calibration. */
export const SPAN_16_EXAMPLE_PARAMETERS: ScenarioMarginParameters = span16Parameters(0.1, 0.25);

/**
 * A Deribit-style portfolio-margin grid (illustrative values, not Deribit's live table): 11 price moves
 * from -16% to +16%, vol down 30% / unchanged / up 45% scaled by (30 / days)^0.3 below 30 days and
 * ^0.13 beyond, extended moves of -66% and +500% counted at 33%, a short-option floor of 1% of notional
 * and a 1% charge on net delta notional; 35 scenarios in all.
 */
export const DERIBIT_STYLE_EXAMPLE_PARAMETERS: ScenarioMarginParameters = {
  priceShockFractions: [-0.16, -0.128, -0.096, -0.064, -0.032, 0, 0.032, 0.064, 0.096, 0.128, 0.16],
  volatilityShockFractions: [-0.3, 0, 0.45],
  tailScenarios: [
    { priceShockFraction: -0.66, volatilityShockFraction: 0, weight: 0.33 },
    { priceShockFraction: 5, volatilityShockFraction: 0, weight: 0.33 },
  ],
  volatilityScaling: {
    referenceDays: 30,
    shortDatedThresholdDays: 30,
    shortDatedPower: 0.3,
    longDatedPower: 0.13,
    daysToExpiryMin: 1,
  },
  volatilityFloor: 0.01,
  shortOptionChargeFraction: 0.01,
  netDeltaChargeFraction: 0.01,
  maintenanceFactor: 0.8,
  groupOffsets: [],
};
