import fc from 'fast-check';
import { complementaryErrorFunction, normalCdf, normalPdf } from './normal-distribution.js';

/**
 * Reference values of N(z) and erfc(x) to more digits than float64 holds, from standard tables (Abramowitz
 * and Stegun table 26.1 extended; the tail values 7.6198530241605260e-24 and 2.7536241186062337e-89 are the
 * well-known N(-10) and N(-20)), written as the nearest float64. Tails are checked to a relative tolerance because their absolute size is tiny.
 */
describe('normalCdf (Cody 1969 erfc)', () => {
  it.each([
    [0, 0.5],
    [-1, 0.15865525393145705],
    [1, 0.8413447460685429],
    [-2, 0.02275013194817921],
    [1.96, 0.9750021048517795],
    [-3, 0.0013498980316301035],
  ])('N(%p) = %p within 1e-15 absolute', (z, expected) => {
    expect(Math.abs(normalCdf(z) - expected)).toBeLessThanOrEqual(1e-15);
  });

  it.each([
    [-5, 2.866515718791939e-7],
    [-10, 7.619853024160525e-24],
    [-20, 2.7536241186062337e-89],
  ])('lower tail N(%p) = %p within 1e-12 relative', (z, expected) => {
    expect(Math.abs(normalCdf(z) / expected - 1)).toBeLessThanOrEqual(1e-12);
  });

  it('reaches 0 and 1 at the infinities without NaN', () => {
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(() => normalCdf(Number.NaN)).toThrow(RangeError);
  });

  it('is symmetric, N(z) + N(-z) = 1, and monotone', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -30, max: 30, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (z, step) => {
          expect(Math.abs(normalCdf(z) + normalCdf(-z) - 1)).toBeLessThanOrEqual(2e-16 * 4);
          expect(normalCdf(z + step)).toBeGreaterThanOrEqual(normalCdf(z));
        },
      ),
    );
  });

  it('has the density as its derivative (central difference)', () => {
    fc.assert(
      fc.property(fc.double({ min: -8, max: 8, noNaN: true }), (z) => {
        const step = 1e-5;
        const slope = (normalCdf(z + step) - normalCdf(z - step)) / (2 * step);
        expect(Math.abs(slope - normalPdf(z))).toBeLessThanOrEqual(1e-9);
      }),
    );
  });
});

describe('complementaryErrorFunction', () => {
  it.each([
    [0, 1],
    [0.3, 0.6713732405408726],
    [-0.5, 1.5204998778130465],
    [1, 0.15729920705028513],
    [2.5, 4.069520174449589e-4],
    [5, 1.5374597944280349e-12],
  ])('erfc(%p) = %p within 1e-15 relative', (x, expected) => {
    expect(Math.abs(complementaryErrorFunction(x) / expected - 1)).toBeLessThanOrEqual(1e-15);
  });
});

describe('normalPdf', () => {
  it('is 1/sqrt(2 pi) at 0 and symmetric', () => {
    expect(normalPdf(0)).toBe(1 / Math.sqrt(2 * Math.PI));
    expect(normalPdf(1.5)).toBe(normalPdf(-1.5));
  });
});
