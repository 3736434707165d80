/**
 * The standard normal distribution, to full double precision.
 *
 * The cumulative distribution is computed from the complementary error function, N(z) = erfc(-z/sqrt(2)) / 2,
 * with erfc evaluated by W. J. Cody's rational Chebyshev approximations:
 *   W. J. Cody, "Rational Chebyshev approximations for the error function", Mathematics of Computation 23
 *   (1969), pp. 631-638; coefficients as published in Cody's Fortran packet CALERF (netlib specfun/erf,
 *   latest modification March 19, 1990). The same routine underlies Jaeckel's "Let's Be Rational".
 * Cody's approximations carry at least 18 significant digits, so in float64 the absolute error of N is
 * below 1e-15 everywhere and its relative error in the lower tail stays near machine precision: deep
 * out-of-the-money option values (products of tiny tail probabilities) keep their significant digits.
 * We avoid the common Abramowitz-Stegun 26.2.17 polynomial: its 7.5e-8 error is visible in greeks.
 */

/** 1 / sqrt(2 pi) = 0.398942280401432677939946..., the density's normalising constant. */
const INVERSE_SQRT_TWO_PI = 0.3989422804014327;
/** 1 / sqrt(pi) = 0.56418958354775628695..., used by Cody's asymptotic interval. */
const INVERSE_SQRT_PI = 0.5641895835477563;

/** Below this |x| Cody approximates erf directly; above it, erfc. */
const ERF_INTERVAL_END = 0.46875;
/** End of Cody's second interval; beyond it the asymptotic form in 1/x^2 is used. */
const ERFC_MIDDLE_INTERVAL_END = 4;
/** erfc(x) underflows to 0 in float64 for x at or above this (Cody's XBIG for IEEE double). */
const ERFC_UNDERFLOW_ARGUMENT = 26.543;
/** Below this |x|, x*x is negligible next to 1 (Cody's XSMALL for IEEE double). */
const ERF_TINY_ARGUMENT = 1.11e-16;

// Cody's coefficients are published with 18 significant digits; they are written here as the shortest
// decimals that round-trip to the same float64 values (the literals the compiler would produce anyway).

// Cody (1969), erf on |x| <= 0.46875: erf(x) = x * A(x^2) / B(x^2).
const ERF_NUMERATOR = [3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694];
const ERF_NUMERATOR_LEADING = 0.18577770618460315;
const ERF_DENOMINATOR = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];

// Cody (1969), erfc on 0.46875 < |x| <= 4: erfc(x) = exp(-x^2) * C(x) / D(x).
const ERFC_MIDDLE_NUMERATOR = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769, 1712.0476126340707,
  2051.0783778260716, 1230.3393547979972,
];
const ERFC_MIDDLE_NUMERATOR_LEADING = 2.1531153547440383e-8;
const ERFC_MIDDLE_DENOMINATOR = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597, 4362.619090143247,
  3439.3676741437216, 1230.3393548037495,
];

// Cody (1969), erfc on |x| > 4: erfc(x) = exp(-x^2) / x * (1/sqrt(pi) - z P(z) / Q(z)), z = 1/x^2.
const ERFC_TAIL_NUMERATOR = [
  0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 0.0006587491615298378,
];
const ERFC_TAIL_NUMERATOR_LEADING = 0.016315387137302097;
const ERFC_TAIL_DENOMINATOR = [
  2.568520192289822, 1.8729528499234604, 0.5279051029514285, 0.06051834131244132, 0.0023352049762686918,
];

/**
 * Evaluates Cody's rational form (((lead*y + n0)*y + n1)*y ... + n_last) / ((((y + d0)*y + d1)*y ... + d_last):
 * the numerator has one more coefficient (the leading one) than the loop, the denominator is monic.
 */
function codyRational(
  y: number,
  numeratorLeading: number,
  numerator: readonly number[],
  denominator: readonly number[],
): number {
  let numeratorSum = numeratorLeading * y;
  let denominatorSum = y;
  const last = numerator.length - 1;
  for (let index = 0; index < last; index += 1) {
    numeratorSum = (numeratorSum + numerator[index]) * y;
    denominatorSum = (denominatorSum + denominator[index]) * y;
  }
  return (numeratorSum + numerator[last]) / (denominatorSum + denominator[last]);
}

/**
 * exp(-x^2) for x >= 0 without amplifying the rounding of x^2: x is split into a part with 4 fractional
 * bits (whose square is exact) and a small remainder, as in Cody's CALERF.
 */
function exponentialOfMinusSquare(x: number): number {
  const xRounded = Math.trunc(x * 16) / 16;
  const remainder = (x - xRounded) * (x + xRounded);
  return Math.exp(-xRounded * xRounded) * Math.exp(-remainder);
}

/** erfc(x) for x >= 0 with small relative error (the upper tail keeps its significant digits). */
function erfcNonNegative(x: number): number {
  if (x <= ERF_INTERVAL_END) {
    const xSquared = x > ERF_TINY_ARGUMENT ? x * x : 0;
    return 1 - x * codyRational(xSquared, ERF_NUMERATOR_LEADING, ERF_NUMERATOR, ERF_DENOMINATOR);
  }
  if (x <= ERFC_MIDDLE_INTERVAL_END) {
    const ratio = codyRational(x, ERFC_MIDDLE_NUMERATOR_LEADING, ERFC_MIDDLE_NUMERATOR, ERFC_MIDDLE_DENOMINATOR);
    return exponentialOfMinusSquare(x) * ratio;
  }
  if (x >= ERFC_UNDERFLOW_ARGUMENT) return 0;
  const inverseSquare = 1 / (x * x);
  const correction =
    inverseSquare *
    codyRational(inverseSquare, ERFC_TAIL_NUMERATOR_LEADING, ERFC_TAIL_NUMERATOR, ERFC_TAIL_DENOMINATOR);
  return (exponentialOfMinusSquare(x) * (INVERSE_SQRT_PI - correction)) / x;
}

/** Complementary error function erfc(x) = 1 - erf(x), for any real x. */
export function complementaryErrorFunction(x: number): number {
  assertNotNaN(x);
  return x >= 0 ? erfcNonNegative(x) : 2 - erfcNonNegative(-x);
}

/**
 * Standard normal cumulative distribution N(z) = P(Z <= z). Absolute error below 1e-15; for z < 0 the
 * relative error stays small too, because the tail is computed directly, never as 1 - N(-z).
 * N(-inf) = 0 and N(+inf) = 1.
 */
export function normalCdf(z: number): number {
  assertNotNaN(z);
  return 0.5 * complementaryErrorFunction(-z * Math.SQRT1_2);
}

/** Standard normal density phi(z) = exp(-z^2 / 2) / sqrt(2 pi). */
export function normalPdf(z: number): number {
  assertNotNaN(z);
  return INVERSE_SQRT_TWO_PI * Math.exp(-0.5 * z * z);
}

function assertNotNaN(value: number): void {
  if (Number.isNaN(value)) throw new RangeError('normal distribution: argument is NaN');
}
