import { parametricVarZScore } from './parametric-var.js';
import { standardNormalQuantile } from './standard-normal-quantile.js';

// Expected values: Python 3 statistics.NormalDist().inv_cdf (Wichura's AS241, double precision).
describe('standardNormalQuantile (Acklam with one Halley refinement)', () => {
  it.each([
    [0.99, 2.3263478740408408],
    [0.975, 1.9599639845400536],
    [0.5, 0],
    [0.3, -0.5244005127080407],
    [0.02425, -1.9729610513118845],
    [0.01, -2.3263478740408408],
    [1e-10, -6.361340902404056],
    [0.999999, 4.753424308817089],
  ])('Φ⁻¹(%d) = %d to 1e-13', (probability, expected) => {
    expect(Math.abs(standardNormalQuantile(probability) - expected)).toBeLessThanOrEqual(
      1e-13 * Math.max(1, Math.abs(expected)),
    );
  });

  it("parametricVarZScore(0.99) is 2.3263..., the unrounded z behind Hull's 2.33", () => {
    expect(parametricVarZScore(0.99)).toBeCloseTo(2.3263478740408408, 13);
  });

  it.each([0, 1, Number.NaN, -0.1])('rejects probability %d', (probability) => {
    expect(() => standardNormalQuantile(probability)).toThrow(/\(0, 1\)/);
  });
});
