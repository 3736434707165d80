import type { Instrument } from '@novation/instruments';
import { StressTestError } from './stress-test-error.js';
import type { StressTestErrorCode } from './stress-test-error.js';
import {
  STRESS_ACCOUNT_COUNT_MAX,
  STRESS_ACCOUNT_POSITION_COUNT_MAX,
  STRESS_INSTRUMENT_COUNT_MAX,
  STRESS_POSITION_COUNT_MAX,
  STRESS_SCENARIO_COUNT_MAX,
} from './stress-test-limits.js';
import type { DefaultResources, StressAccount, StressScenario, StressTestInput } from './stress-test-types.js';

/** Asserts every precondition that does not need repricing; market data is checked when it is used. */
export function assertStressTestInput(input: StressTestInput): ReadonlyMap<string, number> {
  assertScenarios(input);
  const instrumentIndexById = indexInstruments(input.instruments);
  assertAccounts(input.accounts, input.instruments, instrumentIndexById);
  assertDefaultResources(input.defaultResources);
  return instrumentIndexById;
}

function assertScenarios(input: StressTestInput): void {
  const { scenarios, snapshot } = input;
  assertCount(scenarios.length, 1, STRESS_SCENARIO_COUNT_MAX, 'scenarios');
  if (!(input.volatilityFloor > 0) || !Number.isFinite(input.volatilityFloor)) {
    throw new StressTestError('INVALID_SCENARIO', 'volatilityFloor', 'must be finite and positive');
  }
  const names = new Set<string>();
  scenarios.forEach((scenario, index) => {
    assertScenario(scenario, `scenarios[${index}]`, snapshot.underlyingPrices);
    assertUnique(names, scenario.name, `scenarios[${index}].name`);
  });
}

function assertScenario(scenario: StressScenario, field: string, prices: ReadonlyMap<string, number>): void {
  if (typeof scenario.name !== 'string' || scenario.name === '') {
    throw new StressTestError('INVALID_SCENARIO', `${field}.name`, 'must be a non-empty string');
  }
  if (!Number.isFinite(scenario.volatilityShockFraction) || scenario.volatilityShockFraction < -1) {
    throw new StressTestError('INVALID_SCENARIO', `${field}.volatilityShockFraction`, 'must be finite and >= -1');
  }
  for (const [underlying, shock] of Object.entries(scenario.underlyingShocks)) {
    const shockField = `${field}.underlyingShocks.${underlying}`;
    if (!Number.isFinite(shock) || !(shock > -1)) {
      throw new StressTestError('INVALID_SCENARIO', shockField, 'must be finite and > -1 (a price stays positive)');
    }
    // A shock to an underlying the snapshot does not price is almost always a typo, which would
    // otherwise leave that underlying silently unshocked.
    if (!prices.has(underlying)) {
      throw new StressTestError('INVALID_SCENARIO', shockField, `the snapshot has no price for ${underlying}`);
    }
  }
}

function indexInstruments(instruments: readonly Instrument[]): ReadonlyMap<string, number> {
  assertCount(instruments.length, 0, STRESS_INSTRUMENT_COUNT_MAX, 'instruments');
  const indexById = new Map<string, number>();
  instruments.forEach((instrument, index) => {
    if (indexById.has(instrument.id)) {
      throw new StressTestError('DUPLICATE_ID', `instruments[${index}].id`, `${instrument.id} appears twice`);
    }
    indexById.set(instrument.id, index);
  });
  return indexById;
}

function assertAccounts(
  accounts: readonly StressAccount[],
  instruments: readonly Instrument[],
  instrumentIndexById: ReadonlyMap<string, number>,
): void {
  assertCount(accounts.length, 0, STRESS_ACCOUNT_COUNT_MAX, 'accounts');
  const accountIds = new Set<string>();
  let positionCount = 0;
  accounts.forEach((account, index) => {
    const field = `accounts[${index}]`;
    assertAccount(account, field);
    assertUnique(accountIds, account.accountId, `${field}.accountId`);
    positionCount += account.positions.length;
    account.positions.forEach((position, positionIndex) => {
      const positionField = `${field}.positions[${positionIndex}]`;
      const instrument = instruments[instrumentIndexById.get(position.instrumentId) ?? -1];
      if (instrument === undefined) {
        throw new StressTestError('UNKNOWN_INSTRUMENT', `${positionField}.instrumentId`, position.instrumentId);
      }
      if (instrument.settlementAsset !== account.settlementAsset) {
        throw new StressTestError(
          'INVALID_ACCOUNT',
          positionField,
          `${instrument.id} does not settle in ${account.settlementAsset}`,
        );
      }
      if (!Number.isFinite(position.quantity)) {
        throw new StressTestError('INVALID_ACCOUNT', `${positionField}.quantity`, 'must be finite');
      }
    });
  });
  assertCount(positionCount, 0, STRESS_POSITION_COUNT_MAX, 'accounts[].positions (total)');
}

function assertAccount(account: StressAccount, field: string): void {
  for (const key of ['accountId', 'memberId', 'settlementAsset'] as const) {
    if (typeof account[key] !== 'string' || account[key] === '') {
      throw new StressTestError('INVALID_ACCOUNT', `${field}.${key}`, 'must be a non-empty string');
    }
  }
  if (!Number.isFinite(account.marginHeld) || account.marginHeld < 0) {
    throw new StressTestError('INVALID_ACCOUNT', `${field}.marginHeld`, 'must be finite and >= 0');
  }
  assertCount(account.positions.length, 0, STRESS_ACCOUNT_POSITION_COUNT_MAX, `${field}.positions`);
}

function assertDefaultResources(resources: DefaultResources): void {
  assertNonNegative(resources.defaultFund, 'defaultResources.defaultFund');
  assertNonNegative(resources.ccpSkinInTheGame ?? 0, 'defaultResources.ccpSkinInTheGame');
  let contributionSum = 0;
  for (const [memberId, contribution] of Object.entries(resources.memberDefaultFundContributions ?? {})) {
    assertNonNegative(contribution, `defaultResources.memberDefaultFundContributions.${memberId}`);
    contributionSum += contribution;
  }
  // Contributions are part of the fund: more contributed than the fund holds means one of them is wrong.
  if (contributionSum > resources.defaultFund) {
    throw new StressTestError(
      'INVALID_DEFAULT_RESOURCES',
      'defaultResources.memberDefaultFundContributions',
      `contributions sum to ${contributionSum}, more than the default fund ${resources.defaultFund}`,
    );
  }
}

function assertNonNegative(value: number, field: string): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new StressTestError('INVALID_DEFAULT_RESOURCES', field, 'must be finite and >= 0');
  }
}

function assertUnique(seen: Set<string>, id: string, field: string): void {
  if (seen.has(id)) throw new StressTestError('DUPLICATE_ID', field, `${id} appears twice`);
  seen.add(id);
}

function assertCount(count: number, minimum: number, maximum: number, field: string): void {
  const code: StressTestErrorCode = count < minimum ? 'INVALID_SCENARIO' : 'LIMIT_EXCEEDED';
  if (count < minimum || count > maximum) {
    throw new StressTestError(code, field, `count ${count} is outside [${minimum}, ${maximum}]`);
  }
}
