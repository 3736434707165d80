import { regularizedUpperIncompleteGamma } from '../backtest/incomplete-gamma.js';

/**
 * Quantile Φ⁻¹(p) of the standard normal distribution, private to the VaR code (the pricing folder owns
 * the normal CDF that option pricing exports).
 *
 * Peter J. Acklam's rational approximation ("An algorithm for computing the inverse normal cumulative
 * distribution function", 2003; relative error below 1.15e-9), followed by one step of Halley's method
 * on Φ(x) - p, which brings it to full double precision. Φ in the refinement is computed from
 * erfc(z) = Q(1/2, z²) (the regularized upper incomplete gamma), accurate in the far tail.
 */
const NUMERATOR_CENTRAL = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
  2.506628277459239,
] as const;
const DENOMINATOR_CENTRAL = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
] as const;
const NUMERATOR_TAIL = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
] as const;
const DENOMINATOR_TAIL = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416] as const;
const CENTRAL_REGION_LOW = 0.02425;

export function standardNormalQuantile(probability: number): number {
  if (!(probability > 0 && probability < 1)) {
    throw new RangeError(`probability must be in (0, 1), got ${probability}`);
  }
  // Symmetry keeps the upper tail as precise as the lower one: 1 - p loses digits when p is near 1.
  if (probability > 0.5) return -lowerHalfQuantile(1 - probability);
  return lowerHalfQuantile(probability);
}

function lowerHalfQuantile(probability: number): number {
  const approximation =
    probability < CENTRAL_REGION_LOW ? tailApproximation(probability) : centralApproximation(probability);
  // Halley step: e = Φ(x) - p, u = e √(2π) e^{x²/2}, x ← x - u / (1 + x u / 2).
  const error = lowerTailProbability(approximation) - probability;
  const scaled = error * Math.sqrt(2 * Math.PI) * Math.exp((approximation * approximation) / 2);
  return approximation - scaled / (1 + (approximation * scaled) / 2);
}

function centralApproximation(probability: number): number {
  const q = probability - 0.5;
  const r = q * q;
  return (polynomial(NUMERATOR_CENTRAL, r) * q) / (polynomial(DENOMINATOR_CENTRAL, r) * r + 1);
}

function tailApproximation(probability: number): number {
  const q = Math.sqrt(-2 * Math.log(probability));
  return polynomial(NUMERATOR_TAIL, q) / (polynomial(DENOMINATOR_TAIL, q) * q + 1);
}

/** Horner evaluation of c0 xⁿ + c1 xⁿ⁻¹ + ... + cn. */
function polynomial(coefficients: readonly number[], value: number): number {
  return coefficients.reduce((accumulator, coefficient) => accumulator * value + coefficient, 0);
}

/** Φ(x) for x <= 0 (and correct above 0): 0.5 erfc(-x / √2) with erfc(z) = Q(1/2, z²) for z >= 0. */
function lowerTailProbability(value: number): number {
  const halfSquare = (value * value) / 2;
  const tail = 0.5 * regularizedUpperIncompleteGamma(0.5, halfSquare);
  return value <= 0 ? tail : 1 - tail;
}
