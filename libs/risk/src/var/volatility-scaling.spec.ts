import { ewmaVolatility } from './ewma-volatility.js';
import { ewmaFilteredHistoricalReturns, filteredHistoricalReturns } from './filtered-historical-simulation.js';
import { overlappingHorizonReturns, squareRootOfTimeScaled } from './margin-period-of-risk.js';

describe('ewmaVolatility: σ²_{t+1} = λ σ²_t + (1 - λ) r²_t', () => {
  it('hand check with λ = 0.94, σ²_0 = 0.0001, returns 0.02 then -0.01', () => {
    // σ_0 = 0.01; σ²_1 = 0.94 x 0.0001 + 0.06 x 0.0004 = 0.000118; σ²_2 = 0.94 x 0.000118 + 0.06 x 0.0001
    // = 0.00011692.
    const result = ewmaVolatility({ returns: [0.02, -0.01], decay: 0.94, seedVariance: 0.0001 });
    expect(result.volatilities[0]).toBeCloseTo(0.01, 15);
    expect(result.volatilities[1]).toBeCloseTo(Math.sqrt(0.000118), 15);
    expect(result.currentVolatility).toBeCloseTo(Math.sqrt(0.00011692), 15);
  });

  it.each([0, 1, 1.2])('rejects decay %d', (decay) => {
    expect(() => ewmaVolatility({ returns: [0.01], decay, seedVariance: 1e-4 })).toThrow(/decay/);
  });
});

describe('filtered historical simulation: r_t x σ_now / σ_t', () => {
  it("rescales each return to today's volatility", () => {
    const filtered = filteredHistoricalReturns({
      returns: [0.01, -0.03],
      volatilities: [0.01, 0.03],
      currentVolatility: 0.02,
    });
    expect(filtered[0]).toBeCloseTo(0.02, 15);
    expect(filtered[1]).toBeCloseTo(-0.02, 15);
  });

  it('with EWMA volatilities, a return equal to its own σ_t maps to σ_now', () => {
    const returns = [0.01, 0.01, 0.01];
    const filtered = ewmaFilteredHistoricalReturns({ returns, decay: 0.94, seedVariance: 0.0001 });
    // Constant |r| = σ_0 keeps σ_t at 0.01 for every t, so the filter changes nothing.
    filtered.forEach((value) => expect(value).toBeCloseTo(0.01, 15));
  });

  it('rejects a zero volatility', () => {
    expect(() => filteredHistoricalReturns({ returns: [0.01], volatilities: [0], currentVolatility: 0.02 })).toThrow(
      /> 0/,
    );
  });
});

describe('margin period of risk', () => {
  it('overlapping 2-day returns compound daily returns: (1.1 x 0.9 - 1, 0.9 x 1.2 - 1)', () => {
    const windows = overlappingHorizonReturns([0.1, -0.1, 0.2], 2);
    expect(windows).toHaveLength(2);
    expect(windows[0]).toBeCloseTo(-0.01, 14);
    expect(windows[1]).toBeCloseTo(0.08, 14);
  });

  it('rejects a horizon longer than the history and a return of -100% or worse', () => {
    expect(() => overlappingHorizonReturns([0.1], 2)).toThrow(/exceeds/);
    expect(() => overlappingHorizonReturns([-1, 0.1], 1)).toThrow(/> -1/);
  });

  it('square-root-of-time: 1-day 100 over 10 days is 100 x √10', () => {
    expect(squareRootOfTimeScaled(100, 10)).toBeCloseTo(316.2277660168379, 12);
  });
});
