import { Decimal } from '@novation/money';
import type { Instrument } from '@novation/instruments';
import { timeToExpiryYears } from '@novation/instruments';
import { generalisedBlackScholesValue } from '../pricing/generalised-black-scholes.js';
import type { ScenarioMarketSnapshot } from '../scenario/contract-valuer.js';
import { TEST_INSTRUMENTS, TEST_SNAPSHOT } from '../scenario/scenario-test-book.js';
import { runStressTest } from './run-stress-test.js';
import { StressTestError } from './stress-test-error.js';
import type { StressAccount, StressScenario, StressTestInput } from './stress-test-types.js';

const LINEAR_PERPETUAL: Instrument = {
  id: 'BTC-USDC-PERP',
  kind: 'linear_perpetual',
  underlying: 'BTC',
  quoteAsset: 'USD',
  settlementAsset: 'USDC',
  contractSize: new Decimal(1),
};

const INVERSE_PERPETUAL: Instrument = {
  id: 'BTC-USD-INVERSE',
  kind: 'inverse_perpetual',
  underlying: 'BTC',
  quoteAsset: 'USD',
  settlementAsset: 'BTC',
  contractSize: new Decimal(10),
};

const SNAPSHOT: ScenarioMarketSnapshot = {
  valuationEpochMs: 0,
  riskFreeRate: 0,
  underlyingPrices: new Map([
    ['BTC', 50_000],
    ['ETH', 2_500],
  ]),
  impliedVolatilities: new Map(),
};

const DOWN_20: StressScenario = { name: 'btc-down-20', underlyingShocks: { BTC: -0.2 }, volatilityShockFraction: 0 };
const UP_20: StressScenario = { name: 'btc-up-20', underlyingShocks: { BTC: 0.2 }, volatilityShockFraction: 0 };

function account(accountId: string, memberId: string, quantity: number, marginHeld: number): StressAccount {
  return {
    accountId,
    memberId,
    settlementAsset: 'USDC',
    positions: [{ instrumentId: LINEAR_PERPETUAL.id, quantity }],
    marginHeld,
  };
}

function stressInput(overrides: Partial<StressTestInput>): StressTestInput {
  return {
    scenarios: [DOWN_20],
    instruments: [LINEAR_PERPETUAL, INVERSE_PERPETUAL],
    snapshot: SNAPSHOT,
    volatilityFloor: 0.01,
    accounts: [],
    reportingAsset: 'USDC',
    defaultResources: { defaultFund: 0 },
    ...overrides,
  };
}

function expectStressError(run: () => unknown, code: string, field: string): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(StressTestError);
    expect((error as StressTestError).code).toBe(code);
    expect((error as StressTestError).field).toBe(field);
    return;
  }
  throw new Error(`expected StressTestError ${code}`);
}

describe('runStressTest losses', () => {
  it('a long of 2 linear BTC contracts of size 1 at 50,000 loses 20,000 under -20%', () => {
    const result = runStressTest(stressInput({ accounts: [account('A1', 'M1', 2, 5_000)] }));
    const [worst] = result.accountWorstScenarios;
    expect(worst?.stressLoss).toBe(20_000);
    expect(worst?.uncoveredLoss).toBe(15_000);
    expect(result.scenarios[0]?.members[0]).toEqual({
      memberId: 'M1',
      stressLoss: 20_000,
      marginHeld: 5_000,
      uncoveredLoss: 15_000,
      defaultFundContribution: 0,
      lossToMutualisedFund: 15_000,
    });
  });

  it('a gain is a negative loss, never an uncovered loss', () => {
    const result = runStressTest(stressInput({ accounts: [account('A1', 'M1', -2, 0)] }));
    const member = result.scenarios[0]?.members[0];
    expect(member?.stressLoss).toBe(-20_000);
    expect(member?.uncoveredLoss).toBe(0);
    expect(result.scenarios[0]?.coverOneLoss).toBe(0);
    expect(result.scenarios[0]?.coverOneMemberIds).toEqual([]);
  });

  it('reprices an option exactly as generalisedBlackScholesValue does', () => {
    const option = TEST_INSTRUMENTS.find((instrument) => instrument.id === 'BTC-7D-60000-C');
    if (option?.kind !== 'european_option') throw new Error('test book changed');
    const volatility = TEST_SNAPSHOT.impliedVolatilities.get(option.id) ?? 0;
    const scenario: StressScenario = { name: 'crash', underlyingShocks: { BTC: -0.1 }, volatilityShockFraction: 0.5 };
    const result = runStressTest(
      stressInput({
        scenarios: [scenario],
        instruments: TEST_INSTRUMENTS,
        snapshot: TEST_SNAPSHOT,
        accounts: [
          {
            accountId: 'A1',
            memberId: 'M1',
            settlementAsset: 'USDC',
            positions: [{ instrumentId: option.id, quantity: -3 }],
            marginHeld: 0,
          },
        ],
      }),
    );
    const value = (underlyingPrice: number, shockedVolatility: number): number =>
      generalisedBlackScholesValue({
        optionType: 'call',
        underlyingPrice,
        strikePrice: 60_000,
        timeToExpiryYears: timeToExpiryYears(option.expiryEpochMs, TEST_SNAPSHOT.valuationEpochMs),
        volatility: shockedVolatility,
        riskFreeRate: TEST_SNAPSHOT.riskFreeRate,
        // Written on the future: Black-76, the carry cancels the rate.
        dividendYield: TEST_SNAPSHOT.riskFreeRate,
      });
    const expected = 3 * (value(58_000 * 0.9, volatility * 1.5) - value(58_000, volatility));
    expect(result.accountWorstScenarios[0]?.stressLoss).toBeCloseTo(expected, 9);
    // A short call gains when BTC falls, but the vol rise makes it lose: the two effects must net.
    expect(expected).not.toBe(0);
  });

  it('converts a BTC-settled account into the reporting asset at the given price', () => {
    // Long 1,000 inverse contracts of 10 USD: value -10 / S BTC each; -20% loses 1,000 x 10 x (1/40,000 -
    // 1/50,000) = 0.05 BTC = 2,500 USDC at 50,000.
    const result = runStressTest(
      stressInput({
        accounts: [
          {
            accountId: 'A1',
            memberId: 'M1',
            settlementAsset: 'BTC',
            positions: [{ instrumentId: INVERSE_PERPETUAL.id, quantity: 1_000 }],
            marginHeld: 0.01,
          },
        ],
        settlementAssetPrices: new Map([['BTC', 50_000]]),
      }),
    );
    const [worst] = result.accountWorstScenarios;
    expect(worst?.stressLoss).toBeCloseTo(0.05, 12);
    expect(worst?.stressLossInReportingAsset).toBeCloseTo(2_500, 8);
    expect(worst?.uncoveredLossInReportingAsset).toBeCloseTo(2_000, 8);
    expect(result.scenarios[0]?.members[0]?.marginHeld).toBeCloseTo(500, 8);
    expect(result.scenarios[0]?.members[0]?.uncoveredLoss).toBeCloseTo(2_000, 8);
  });

  it('does not net accounts of one member against each other', () => {
    const result = runStressTest(
      stressInput({ accounts: [account('A1', 'M1', 2, 5_000), account('A2', 'M1', -2, 0)] }),
    );
    const member = result.scenarios[0]?.members[0];
    expect(member?.stressLoss).toBe(0);
    expect(member?.marginHeld).toBe(5_000);
    expect(member?.uncoveredLoss).toBe(15_000);
  });
});

describe('runStressTest cover 1 and cover 2', () => {
  // Under -20% each long contract loses 10,000: uncovered M1 = 30,000, M2 = 20,000, M3 = 10,000.
  const accounts = [
    account('A1', 'M1', 5, 20_000),
    account('A2', 'M2', 3, 10_000),
    account('A3', 'M3', 2, 10_000),
    account('A4', 'M4', -4, 0),
  ];
  const cover = (defaultFund: number, ccpSkinInTheGame: number) =>
    runStressTest(stressInput({ accounts, defaultResources: { defaultFund, ccpSkinInTheGame } })).scenarios[0];

  it('sorts members by uncovered loss and sums the two largest', () => {
    const result = cover(40_000, 10_000);
    expect(result?.members.map((member) => member.memberId)).toEqual(['M1', 'M2', 'M3', 'M4']);
    expect(result?.coverOneLoss).toBe(30_000);
    expect(result?.coverTwoLoss).toBe(50_000);
    expect(result?.coverOneMemberIds).toEqual(['M1']);
    expect(result?.coverTwoMemberIds).toEqual(['M1', 'M2']);
  });

  it('passes cover 2 exactly at the boundary, and fails one unit below it', () => {
    expect(cover(40_000, 10_000)).toMatchObject({ coverOnePassed: true, coverTwoPassed: true });
    expect(cover(39_999, 10_000)).toMatchObject({ coverOnePassed: true, coverTwoPassed: false });
    expect(cover(20_000, 10_000)).toMatchObject({ coverOnePassed: true, coverTwoPassed: false });
    expect(cover(19_999, 10_000)).toMatchObject({ coverOnePassed: false, coverTwoPassed: false });
  });

  it('deducts each member own default-fund contribution from its loss to the mutualised fund', () => {
    const result = runStressTest(
      stressInput({
        accounts,
        defaultResources: { defaultFund: 100_000, memberDefaultFundContributions: { M1: 12_000, M3: 15_000 } },
      }),
    );
    const byMember = new Map(result.scenarios[0]?.members.map((member) => [member.memberId, member]));
    expect(byMember.get('M1')?.lossToMutualisedFund).toBe(18_000);
    expect(byMember.get('M2')?.lossToMutualisedFund).toBe(20_000);
    expect(byMember.get('M3')?.lossToMutualisedFund).toBe(0);
    expect(result.availableResources).toBe(100_000);
  });

  it('finds the worst scenario for cover 2 and the worst scenario of each account', () => {
    const result = runStressTest(
      stressInput({ scenarios: [UP_20, DOWN_20], accounts, defaultResources: { defaultFund: 1 } }),
    );
    expect(result.scenarios.map((scenario) => scenario.scenarioName)).toEqual(['btc-up-20', 'btc-down-20']);
    expect(result.worstScenarioForCoverTwo.scenarioName).toBe('btc-down-20');
    expect(result.accountWorstScenarios.map((worst) => [worst.accountId, worst.scenarioName])).toEqual([
      ['A1', 'btc-down-20'],
      ['A2', 'btc-down-20'],
      ['A3', 'btc-down-20'],
      ['A4', 'btc-up-20'],
    ]);
    // Under +20% the short M4 loses 40,000 uncovered: cover 2 of that scenario is 40,000 < 50,000.
    expect(result.scenarios[0]?.coverTwoLoss).toBe(40_000);
  });

  it('does not depend on the order accounts and scenarios are passed in', () => {
    const forward = runStressTest(stressInput({ scenarios: [UP_20, DOWN_20], accounts }));
    const reversed = runStressTest(stressInput({ scenarios: [DOWN_20, UP_20], accounts: [...accounts].reverse() }));
    expect(reversed.accountWorstScenarios).toEqual(forward.accountWorstScenarios);
    expect(reversed.worstScenarioForCoverTwo).toEqual(forward.worstScenarioForCoverTwo);
  });
});

describe('runStressTest preconditions', () => {
  it('rejects an unknown instrument', () => {
    const unknown = { ...account('A1', 'M1', 1, 0), positions: [{ instrumentId: 'NOPE', quantity: 1 }] };
    expectStressError(
      () => runStressTest(stressInput({ accounts: [unknown] })),
      'UNKNOWN_INSTRUMENT',
      'accounts[0].positions[0].instrumentId',
    );
  });

  it('rejects a held option without implied volatility', () => {
    const option = TEST_INSTRUMENTS.find((instrument) => instrument.kind === 'european_option');
    if (option === undefined) throw new Error('test book changed');
    const holder = { ...account('A1', 'M1', 1, 0), positions: [{ instrumentId: option.id, quantity: 1 }] };
    expectStressError(
      () => runStressTest(stressInput({ instruments: [option], accounts: [holder] })),
      'MISSING_MARKET_DATA',
      'instruments[0]',
    );
  });

  it('rejects a missing conversion price', () => {
    const coinAccount = {
      ...account('A1', 'M1', 1, 0),
      settlementAsset: 'BTC',
      positions: [{ instrumentId: INVERSE_PERPETUAL.id, quantity: 1 }],
    };
    expectStressError(
      () => runStressTest(stressInput({ accounts: [coinAccount] })),
      'MISSING_CONVERSION_PRICE',
      'settlementAssetPrices[BTC]',
    );
  });

  it('rejects invalid scenarios', () => {
    const crash: StressScenario = { name: 'wipe-out', underlyingShocks: { BTC: -1 }, volatilityShockFraction: 0 };
    expectStressError(
      () => runStressTest(stressInput({ scenarios: [crash] })),
      'INVALID_SCENARIO',
      'scenarios[0].underlyingShocks.BTC',
    );
    const typo: StressScenario = { name: 'typo', underlyingShocks: { BTX: -0.2 }, volatilityShockFraction: 0 };
    expectStressError(
      () => runStressTest(stressInput({ scenarios: [typo] })),
      'INVALID_SCENARIO',
      'scenarios[0].underlyingShocks.BTX',
    );
    expectStressError(() => runStressTest(stressInput({ scenarios: [] })), 'INVALID_SCENARIO', 'scenarios');
  });

  it('rejects duplicate ids', () => {
    expectStressError(
      () => runStressTest(stressInput({ scenarios: [DOWN_20, DOWN_20] })),
      'DUPLICATE_ID',
      'scenarios[1].name',
    );
    expectStressError(
      () => runStressTest(stressInput({ accounts: [account('A1', 'M1', 1, 0), account('A1', 'M2', 1, 0)] })),
      'DUPLICATE_ID',
      'accounts[1].accountId',
    );
    expectStressError(
      () => runStressTest(stressInput({ instruments: [LINEAR_PERPETUAL, LINEAR_PERPETUAL] })),
      'DUPLICATE_ID',
      'instruments[1].id',
    );
  });

  it('rejects invalid accounts and default resources', () => {
    expectStressError(
      () => runStressTest(stressInput({ accounts: [account('A1', 'M1', 1, -1)] })),
      'INVALID_ACCOUNT',
      'accounts[0].marginHeld',
    );
    const mixed = { ...account('A1', 'M1', 1, 0), settlementAsset: 'BTC' };
    expectStressError(
      () => runStressTest(stressInput({ accounts: [mixed] })),
      'INVALID_ACCOUNT',
      'accounts[0].positions[0]',
    );
    expectStressError(
      () =>
        runStressTest(
          stressInput({ defaultResources: { defaultFund: 10, memberDefaultFundContributions: { M1: 11 } } }),
        ),
      'INVALID_DEFAULT_RESOURCES',
      'defaultResources.memberDefaultFundContributions',
    );
  });
});
