import { historicalScenarioLevels, historicalScenarioValuation } from './historical-scenarios.js';

// Reference case VR-HULL-HS-01. Source: Hull, Risk Management and Financial Institutions 3e, Chapter 14
// "Historical Simulation" (Tables 14.1-14.3, p.304-305); slides text seen at
// https://ja.scribd.com/presentation/338879952/HullRMFI3rdEdCh14 and
// http://www.hezhiquan.com/docs/view/a42498f97ccb4af9a293f892d454a754.html
// $10M portfolio ($000s): DJIA 4,000, FTSE 3,000, CAC 1,000, Nikkei 2,000; USD-equivalent index levels.
// Hull computed from unrounded data, hence the tolerances: 0.1 ($000s) on values, 0.02 on levels.
const history = [
  [11219.38, 11131.84, 6373.89, 131.77], // day 0
  [11173.59, 11096.28, 6378.16, 134.38], // day 1
  [11076.18, 11185.35, 6474.04, 135.94], // day 2
  [11124.37, 11016.71, 6357.49, 135.44], // day 3
];
const currentLevels = [11022.06, 9599.9, 6200.4, 112.82]; // day 500 (today)
const holdingValues = [4000, 3000, 1000, 2000];

describe('Hull historical simulation scenarios (VR-HULL-HS-01)', () => {
  it('scenario 1 levels are v_500 x v_1 / v_0: 10,977.08, 9,569.23, 6,204.55, 115.05', () => {
    const [first] = historicalScenarioLevels({ history, currentLevels });
    [10977.08, 9569.23, 6204.55, 115.05].forEach((expected, variable) => {
      expect(Math.abs((first?.[variable] ?? Number.NaN) - expected)).toBeLessThanOrEqual(0.02);
    });
  });

  it('scenario values 10,014.334, 10,027.481, 9,946.736 and losses -14.334, -27.481, 53.264', () => {
    const { scenarioValues, scenarioProfitAndLoss } = historicalScenarioValuation({
      history,
      currentLevels,
      holdingValues,
    });
    expect(scenarioValues).toHaveLength(3);
    [10014.334, 10027.481, 9946.736].forEach((expected, index) => {
      expect(Math.abs((scenarioValues[index] ?? Number.NaN) - expected)).toBeLessThanOrEqual(0.1);
    });
    [-14.334, -27.481, 53.264].forEach((expectedLoss, index) => {
      expect(Math.abs(-(scenarioProfitAndLoss[index] ?? Number.NaN) - expectedLoss)).toBeLessThanOrEqual(0.1);
    });
  });

  it('rejects a ragged history and non-positive levels', () => {
    expect(() => historicalScenarioLevels({ history: [[1, 2], [1]], currentLevels: [1, 2] })).toThrow(/history\[1\]/);
    expect(() => historicalScenarioLevels({ history: [[1], [0]], currentLevels: [1] })).toThrow(/> 0/);
  });
});
