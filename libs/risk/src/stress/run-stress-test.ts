import { priceHeldInstruments, scenarioProfitPerContract } from './stress-repricing.js';
import { StressTestError } from './stress-test-error.js';
import { STRESS_MEMBER_RESULT_COUNT_MAX } from './stress-test-limits.js';
import type {
  AccountWorstScenario,
  MemberStressResult,
  ScenarioStressResult,
  StressAccount,
  StressTestInput,
  StressTestResult,
} from './stress-test-types.js';
import { assertStressTestInput } from './stress-test-validation.js';

/** Accounts sorted by id with their positions flattened into typed arrays: the hot loop's only input. */
interface FlatBook {
  readonly accounts: readonly StressAccount[];
  /** Positions of account a are [accountStarts[a], accountStarts[a + 1]). */
  readonly accountStarts: Int32Array;
  readonly instrumentIndexes: Int32Array;
  readonly quantities: Float64Array;
  /** 1 for each instrument some account holds. */
  readonly held: Uint8Array;
  /** Price of each account's settlement asset in the reporting asset. */
  readonly conversionPrices: Float64Array;
  /** Index into memberIds of each account's member. */
  readonly memberIndexes: Int32Array;
  /** Sorted member ids. */
  readonly memberIds: readonly string[];
}

/**
 * Reprices every held instrument once per scenario (full revaluation through contractValuer), then per
 * account: stress loss = -sum(quantity x (value shocked - value now)), a gain being a negative loss, and
 * uncovered loss = max(0, stress loss - margin held). Per member, in the reporting asset, the uncovered loss
 * is the SUM of its accounts' uncovered losses: each account's margin covers only that account, so a gain
 * in one account does not cover a loss in another (netting would need a cross-margin agreement, which
 * this model does not assume). Cover 1 / cover 2 compare the largest / two largest member uncovered losses
 * with defaultFund + ccpSkinInTheGame.
 */
export function runStressTest(input: StressTestInput): StressTestResult {
  const instrumentIndexById = assertStressTestInput(input);
  const book = flattenBook(input, instrumentIndexById);
  if (book.memberIds.length * input.scenarios.length > STRESS_MEMBER_RESULT_COUNT_MAX) {
    throw new StressTestError(
      'LIMIT_EXCEEDED',
      'accounts',
      `members x scenarios exceeds ${STRESS_MEMBER_RESULT_COUNT_MAX}`,
    );
  }
  const instrumentCount = input.instruments.length;
  const priced = priceHeldInstruments(input.instruments, book.held, input.snapshot, input.volatilityFloor);
  const availableResources = input.defaultResources.defaultFund + (input.defaultResources.ccpSkinInTheGame ?? 0);
  const worstLosses = new Float64Array(book.accounts.length).fill(Number.NEGATIVE_INFINITY);
  const worstScenarioIndexes = new Int32Array(book.accounts.length);
  const scenarios = input.scenarios.map((scenario, scenarioIndex) => {
    const losses = accountStressLosses(book, scenarioProfitPerContract(priced, instrumentCount, scenario));
    losses.forEach((loss, account) => {
      const best = worstScenarioIndexes[account] ?? 0;
      if (isWorse(loss, scenario.name, worstLosses[account] ?? 0, input.scenarios[best]?.name ?? '')) {
        worstLosses[account] = loss;
        worstScenarioIndexes[account] = scenarioIndex;
      }
    });
    return scenarioResult(scenario.name, losses, book, input, availableResources);
  });
  return {
    reportingAsset: input.reportingAsset,
    availableResources,
    scenarios,
    worstScenarioForCoverTwo: worstForCoverTwo(scenarios),
    accountWorstScenarios: book.accounts.map((account, index) =>
      accountWorstScenario(
        account,
        input.scenarios[worstScenarioIndexes[index] ?? 0]?.name ?? '',
        worstLosses[index] ?? 0,
        book.conversionPrices[index] ?? 0,
      ),
    ),
  };
}

/** Larger loss wins; an equal loss goes to the scenario with the smaller name, so order does not matter. */
function isWorse(loss: number, name: string, bestLoss: number, bestName: string): boolean {
  return loss > bestLoss || (loss === bestLoss && compareText(name, bestName) < 0);
}

function flattenBook(input: StressTestInput, instrumentIndexById: ReadonlyMap<string, number>): FlatBook {
  // Sorted so float sums, and hence results, do not depend on the order accounts were passed in.
  const accounts = [...input.accounts].sort((first, second) => compareText(first.accountId, second.accountId));
  const positionCount = accounts.reduce((sum, account) => sum + account.positions.length, 0);
  const accountStarts = new Int32Array(accounts.length + 1);
  const instrumentIndexes = new Int32Array(positionCount);
  const quantities = new Float64Array(positionCount);
  const held = new Uint8Array(input.instruments.length);
  let cursor = 0;
  accounts.forEach((account, index) => {
    for (const position of account.positions) {
      const instrumentIndex = instrumentIndexById.get(position.instrumentId) ?? 0;
      instrumentIndexes[cursor] = instrumentIndex;
      quantities[cursor] = position.quantity;
      if (position.quantity !== 0) held[instrumentIndex] = 1;
      cursor += 1;
    }
    accountStarts[index + 1] = cursor;
  });
  const memberIds = [...new Set(accounts.map((account) => account.memberId))].sort(compareText);
  const memberIndexById = new Map(memberIds.map((memberId, index) => [memberId, index]));
  return {
    accounts,
    accountStarts,
    instrumentIndexes,
    quantities,
    held,
    conversionPrices: Float64Array.from(accounts, (account) => conversionPrice(account.settlementAsset, input)),
    memberIndexes: Int32Array.from(accounts, (account) => memberIndexById.get(account.memberId) ?? 0),
    memberIds,
  };
}

function conversionPrice(asset: string, input: StressTestInput): number {
  if (asset === input.reportingAsset) return 1;
  const price = input.settlementAssetPrices?.get(asset);
  if (price === undefined || !(price > 0) || !Number.isFinite(price)) {
    throw new StressTestError(
      'MISSING_CONVERSION_PRICE',
      `settlementAssetPrices[${asset}]`,
      `no positive price of ${asset} in ${input.reportingAsset}`,
    );
  }
  return price;
}

/** Stress loss of every account in its settlement asset: -sum(quantity x profit per contract). */
function accountStressLosses(book: FlatBook, profits: Float64Array): Float64Array {
  const losses = new Float64Array(book.accounts.length);
  for (let account = 0; account < losses.length; account += 1) {
    let profit = 0;
    const end = book.accountStarts[account + 1] ?? 0;
    for (let position = book.accountStarts[account] ?? 0; position < end; position += 1) {
      profit += (book.quantities[position] ?? 0) * (profits[book.instrumentIndexes[position] ?? 0] ?? 0);
    }
    // 0 - profit rather than -profit: a flat account reports a loss of 0, not -0.
    losses[account] = 0 - profit;
  }
  return losses;
}

function scenarioResult(
  scenarioName: string,
  losses: Float64Array,
  book: FlatBook,
  input: StressTestInput,
  availableResources: number,
): ScenarioStressResult {
  const members = memberResults(losses, book, input).sort(
    (first, second) => second.uncoveredLoss - first.uncoveredLoss || compareText(first.memberId, second.memberId),
  );
  const defaulters = members.filter((member) => member.uncoveredLoss > 0);
  const coverOne = defaulters.slice(0, 1);
  const coverTwo = defaulters.slice(0, 2);
  const coverOneLoss = coverOne.reduce((sum, member) => sum + member.uncoveredLoss, 0);
  const coverTwoLoss = coverTwo.reduce((sum, member) => sum + member.uncoveredLoss, 0);
  return {
    scenarioName,
    members,
    coverOneLoss,
    coverTwoLoss,
    coverOneMemberIds: coverOne.map((member) => member.memberId),
    coverTwoMemberIds: coverTwo.map((member) => member.memberId),
    coverOnePassed: coverOneLoss <= availableResources,
    coverTwoPassed: coverTwoLoss <= availableResources,
  };
}

function memberResults(losses: Float64Array, book: FlatBook, input: StressTestInput): MemberStressResult[] {
  const memberCount = book.memberIds.length;
  const stressLosses = new Float64Array(memberCount);
  const marginsHeld = new Float64Array(memberCount);
  const uncoveredLosses = new Float64Array(memberCount);
  book.accounts.forEach((account, index) => {
    const member = book.memberIndexes[index] ?? 0;
    const price = book.conversionPrices[index] ?? 0;
    const loss = losses[index] ?? 0;
    stressLosses[member] = (stressLosses[member] ?? 0) + loss * price;
    marginsHeld[member] = (marginsHeld[member] ?? 0) + account.marginHeld * price;
    uncoveredLosses[member] = (uncoveredLosses[member] ?? 0) + Math.max(0, loss - account.marginHeld) * price;
  });
  const contributions = input.defaultResources.memberDefaultFundContributions ?? {};
  return book.memberIds.map((memberId, member) => {
    const uncoveredLoss = uncoveredLosses[member] ?? 0;
    const defaultFundContribution = Object.hasOwn(contributions, memberId) ? (contributions[memberId] ?? 0) : 0;
    return {
      memberId,
      stressLoss: stressLosses[member] ?? 0,
      marginHeld: marginsHeld[member] ?? 0,
      uncoveredLoss,
      defaultFundContribution,
      lossToMutualisedFund: Math.max(0, uncoveredLoss - defaultFundContribution),
    };
  });
}

function worstForCoverTwo(scenarios: readonly ScenarioStressResult[]): ScenarioStressResult {
  const [first, ...rest] = scenarios;
  if (first === undefined) throw new StressTestError('INVALID_SCENARIO', 'scenarios', 'at least one scenario');
  return rest.reduce(
    (worst, scenario) =>
      isWorse(scenario.coverTwoLoss, scenario.scenarioName, worst.coverTwoLoss, worst.scenarioName) ? scenario : worst,
    first,
  );
}

function accountWorstScenario(
  account: StressAccount,
  scenarioName: string,
  stressLoss: number,
  conversionPrice: number,
): AccountWorstScenario {
  const uncoveredLoss = Math.max(0, stressLoss - account.marginHeld);
  return {
    accountId: account.accountId,
    memberId: account.memberId,
    settlementAsset: account.settlementAsset,
    scenarioName,
    stressLoss,
    uncoveredLoss,
    stressLossInReportingAsset: stressLoss * conversionPrice,
    uncoveredLossInReportingAsset: uncoveredLoss * conversionPrice,
  };
}

/** Code-point order, independent of the locale the process runs in. */
function compareText(first: string, second: string): number {
  return first < second ? -1 : first > second ? 1 : 0;
}
