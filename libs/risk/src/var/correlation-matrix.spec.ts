import { assertCorrelationMatrix } from './correlation-matrix.js';
import { portfolioNormalValueAtRisk } from './parametric-var.js';

describe('assertCorrelationMatrix', () => {
  it('accepts a PSD matrix, including a singular one (perfect correlation)', () => {
    expect(() =>
      assertCorrelationMatrix(
        [
          [1, 1],
          [1, 1],
        ],
        2,
      ),
    ).not.toThrow();
    expect(() =>
      assertCorrelationMatrix(
        [
          [1, 0.3, 0.2],
          [0.3, 1, 0.1],
          [0.2, 0.1, 1],
        ],
        3,
      ),
    ).not.toThrow();
  });

  it.each<[string, number[][], RegExp]>([
    [
      'a non-unit diagonal',
      [
        [0.9, 0],
        [0, 1],
      ],
      /must be 1/,
    ],
    [
      'an asymmetric matrix',
      [
        [1, 0.2],
        [0.3, 1],
      ],
      /symmetric/,
    ],
    [
      'an entry above 1',
      [
        [1, 1.1],
        [1.1, 1],
      ],
      /\[-1, 1\]/,
    ],
    // Pairwise -0.9 among three variables cannot all hold: eigenvalue 1 - 2 x 0.9 < 0.
    [
      'a non-PSD matrix',
      [
        [1, -0.9, -0.9],
        [-0.9, 1, -0.9],
        [-0.9, -0.9, 1],
      ],
      /positive semi-definite/,
    ],
  ])('rejects %s', (_label, matrix, message) => {
    expect(() => assertCorrelationMatrix(matrix, matrix.length)).toThrow(message);
  });

  it('portfolio VaR of a long and an equal short at correlation 1 is 0 (perfect hedge)', () => {
    const result = portfolioNormalValueAtRisk({
      dailyStandardDeviations: [100, -100],
      correlationMatrix: [
        [1, 1],
        [1, 1],
      ],
      zScore: 2.33,
      horizonDays: 1,
    });
    expect(result.valueAtRisk).toBe(0);
    expect(result.diversificationBenefit).toBeCloseTo(466, 10);
  });
});
