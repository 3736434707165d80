import { Decimal } from '@novation/money';
import { StressTestError, runStressTest, type StressAccount, type StressScenario } from '@novation/risk';
import { In, type EntityManager } from 'typeorm';
import { AccountEntity } from '../entities/membership.entity.js';
import { InstrumentEntity } from '../entities/reference-data.entity.js';
import { toDomainInstrument } from '../instrument-mapping.js';
import { activeParameterSet, type ActiveParameterSet } from '../margin/parameter-set-body.js';
import { ReportError } from './report-error.js';

/** A shock applied to every underlying the market prices: the report's default scenario set. */
export interface StressShockDefinition {
  readonly name: string;
  /** Relative move of every underlying: -0.3 is -30%. */
  readonly underlyingShockFraction: number;
  readonly volatilityShockFraction: number;
}

/**
 * Extreme but plausible moves for a crypto book: every underlying together (crypto assets move as one in
 * a crash), both directions, with implied vols up as they are in every such move.
 */
export const DEFAULT_STRESS_SHOCKS: readonly StressShockDefinition[] = [
  { name: 'all-down-30', underlyingShockFraction: -0.3, volatilityShockFraction: 0.5 },
  { name: 'all-up-30', underlyingShockFraction: 0.3, volatilityShockFraction: 0.5 },
  { name: 'all-down-50', underlyingShockFraction: -0.5, volatilityShockFraction: 1 },
  { name: 'all-up-50', underlyingShockFraction: 0.5, volatilityShockFraction: 1 },
];

/** Shocked implied vols are floored here (a vol shock of -100% would break the pricer). */
export const STRESS_REPORT_VOLATILITY_FLOOR = 0.05;
/** Member accounts one report covers. */
export const STRESS_REPORT_ACCOUNT_COUNT_MAX = 100_000;
/** Places the report keeps of the float results of the stress model. */
const REPORT_AMOUNT_SCALE = 6;

export interface StressReportMember {
  readonly memberFirmId: string;
  readonly stressLoss: string;
  readonly marginHeld: string;
  readonly uncoveredLoss: string;
}

export interface StressReportScenario {
  readonly scenarioName: string;
  readonly coverOneLoss: string;
  readonly coverTwoLoss: string;
  readonly coverTwoMemberFirmIds: readonly string[];
  readonly coverOnePassed: boolean;
  readonly coverTwoPassed: boolean;
  /** Every member, by uncovered loss descending. */
  readonly members: readonly StressReportMember[];
}

export interface StressReport {
  readonly valuationEpochMs: number;
  readonly reportingAsset: string;
  readonly parameterSetVersion: string;
  /** Ledger balances of the house accounts, in the reporting asset. */
  readonly defaultResources: {
    readonly defaultFund: string;
    readonly insuranceFund: string;
    readonly ccpCapital: string;
    readonly total: string;
  };
  readonly accountCount: number;
  readonly scenarios: readonly StressReportScenario[];
  /** The scenario with the largest cover-2 loss. */
  readonly worstScenarioName: string;
  readonly coverTwoLoss: string;
  readonly coverTwoPassed: boolean;
}

/**
 * Runs the risk lib's stress test over every member account at `nowEpochMs`: current positions, the
 * latest index prices and implied vols, and as each account's margin held the initial margin of its
 * latest receipt (0 without one: collateral above the requirement is not counted, as a defaulter may
 * have withdrawn it). Default resources are the ledger balances of the default fund and insurance fund
 * (passed to the lib as its default fund) and CCP capital (its skin in the game), valued in the
 * reporting asset (the parameter set's first USD asset) through the parameter set's asset index.
 * Cover 2 passes when the two largest member losses beyond margin fit in those resources.
 */
export async function runStressReport(
  manager: EntityManager,
  nowEpochMs: number,
  shocks: readonly StressShockDefinition[] = DEFAULT_STRESS_SHOCKS,
): Promise<StressReport> {
  const parameterSet = await parameterSetAt(manager, nowEpochMs);
  const reportingAsset = parameterSet.body.usdAssets[0];
  if (reportingAsset === undefined) {
    throw new ReportError('MISSING_MARKET_DATA', `parameter set ${parameterSet.version} names no USD asset`);
  }
  const now = new Date(nowEpochMs);
  const accounts = await manager.find(AccountEntity, { order: { id: 'ASC' } });
  const memberAccounts = accounts.filter((account) => account.kind !== 'house' && account.memberFirmId !== null);
  if (memberAccounts.length > STRESS_REPORT_ACCOUNT_COUNT_MAX) {
    throw new ReportError('LIMIT_EXCEEDED', `more than ${STRESS_REPORT_ACCOUNT_COUNT_MAX} member accounts`);
  }
  const positions: { account_id: string; instrument_id: string; quantity: string }[] = await manager.query(
    `SELECT account_id, instrument_id, quantity::text AS quantity FROM position WHERE quantity <> 0
      ORDER BY account_id, instrument_id`,
  );
  const instrumentIds = [...new Set(positions.map((row) => row.instrument_id))];
  const instrumentRows =
    instrumentIds.length === 0 ? [] : await manager.find(InstrumentEntity, { where: { id: In(instrumentIds) } });
  const instruments = instrumentRows.map(toDomainInstrument);
  const underlyings = [...new Set(instruments.map((instrument) => instrument.underlying))];
  const indexAssets = Object.values(parameterSet.body.assetIndex);
  const indexPrices = await latestIndexPrices(manager, [...new Set([...underlyings, ...indexAssets])], now);
  const usdPrice = (asset: string): Decimal | undefined => {
    if (parameterSet.body.usdAssets.includes(asset)) return new Decimal(1);
    const index = parameterSet.body.assetIndex[asset];
    return index === undefined ? undefined : indexPrices.get(index);
  };
  const underlyingPrices = new Map<string, number>();
  for (const underlying of underlyings) {
    const price = indexPrices.get(underlying);
    if (price === undefined) {
      throw new ReportError('MISSING_MARKET_DATA', `no index price for ${underlying} at ${now.toISOString()}`);
    }
    underlyingPrices.set(underlying, price.toNumber());
  }
  const impliedVolatilities = await latestImpliedVolatilities(manager, instrumentIds, now);
  const margins: { account_id: string; initial_margin: string }[] = await manager.query(
    `SELECT DISTINCT ON (account_id) account_id, initial_margin::text AS initial_margin
       FROM margin_receipt WHERE computed_at <= $1 ORDER BY account_id, computed_at DESC, id DESC`,
    [now],
  );
  const marginByAccount = new Map(margins.map((row) => [row.account_id, row.initial_margin]));
  const positionsByAccount = new Map<string, { instrumentId: string; quantity: number }[]>();
  for (const row of positions) {
    const list = positionsByAccount.get(row.account_id) ?? [];
    list.push({ instrumentId: row.instrument_id, quantity: new Decimal(row.quantity).toNumber() });
    positionsByAccount.set(row.account_id, list);
  }
  const stressAccounts: StressAccount[] = memberAccounts.map((account) => ({
    accountId: account.id,
    memberId: account.memberFirmId ?? '',
    settlementAsset: account.settlementAsset,
    positions: positionsByAccount.get(account.id) ?? [],
    marginHeld: new Decimal(marginByAccount.get(account.id) ?? '0').toNumber(),
  }));
  const settlementAssetPrices = new Map<string, number>();
  const reportingUsd = usdPrice(reportingAsset) ?? new Decimal(1);
  for (const asset of new Set(stressAccounts.map((account) => account.settlementAsset))) {
    const price = usdPrice(asset);
    if (price !== undefined) settlementAssetPrices.set(asset, price.dividedBy(reportingUsd).toNumber());
  }
  const resources = await defaultResources(manager, (asset) => usdPrice(asset)?.dividedBy(reportingUsd));
  const scenarios: StressScenario[] = shocks.map((shock) => ({
    name: shock.name,
    underlyingShocks: Object.fromEntries(underlyings.map((underlying) => [underlying, shock.underlyingShockFraction])),
    volatilityShockFraction: shock.volatilityShockFraction,
  }));
  let result: ReturnType<typeof runStressTest>;
  try {
    result = runStressTest({
      scenarios,
      instruments,
      snapshot: {
        valuationEpochMs: nowEpochMs,
        riskFreeRate: parameterSet.body.riskFreeRate,
        underlyingPrices,
        impliedVolatilities,
      },
      volatilityFloor: STRESS_REPORT_VOLATILITY_FLOOR,
      accounts: stressAccounts,
      settlementAssetPrices,
      reportingAsset,
      defaultResources: {
        defaultFund: resources.defaultFund.plus(resources.insuranceFund).toNumber(),
        ccpSkinInTheGame: resources.ccpCapital.toNumber(),
      },
    });
  } catch (error) {
    if (error instanceof StressTestError) throw new ReportError('STRESS_TEST_FAILED', error.message);
    throw new ReportError('STRESS_TEST_FAILED', error instanceof Error ? error.message : String(error));
  }
  const worst = result.worstScenarioForCoverTwo;
  return {
    valuationEpochMs: nowEpochMs,
    reportingAsset,
    parameterSetVersion: parameterSet.version,
    defaultResources: {
      defaultFund: resources.defaultFund.toFixed(),
      insuranceFund: resources.insuranceFund.toFixed(),
      ccpCapital: resources.ccpCapital.toFixed(),
      total: resources.defaultFund.plus(resources.insuranceFund).plus(resources.ccpCapital).toFixed(),
    },
    accountCount: stressAccounts.length,
    scenarios: result.scenarios.map((scenario) => ({
      scenarioName: scenario.scenarioName,
      coverOneLoss: amount(scenario.coverOneLoss),
      coverTwoLoss: amount(scenario.coverTwoLoss),
      coverTwoMemberFirmIds: scenario.coverTwoMemberIds,
      coverOnePassed: scenario.coverOnePassed,
      coverTwoPassed: scenario.coverTwoPassed,
      members: scenario.members.map((member) => ({
        memberFirmId: member.memberId,
        stressLoss: amount(member.stressLoss),
        marginHeld: amount(member.marginHeld),
        uncoveredLoss: amount(member.uncoveredLoss),
      })),
    })),
    worstScenarioName: worst.scenarioName,
    coverTwoLoss: amount(worst.coverTwoLoss),
    coverTwoPassed: worst.coverTwoPassed,
  };
}

function amount(value: number): string {
  return new Decimal(value).toDecimalPlaces(REPORT_AMOUNT_SCALE).toFixed();
}

async function parameterSetAt(manager: EntityManager, nowEpochMs: number): Promise<ActiveParameterSet> {
  try {
    return await activeParameterSet(manager, nowEpochMs);
  } catch (error) {
    throw new ReportError(
      'NO_ACTIVE_PARAMETER_SET',
      error instanceof Error ? error.message : 'no parameter set in effect',
    );
  }
}

async function latestIndexPrices(
  manager: EntityManager,
  underlyings: readonly string[],
  now: Date,
): Promise<Map<string, Decimal>> {
  if (underlyings.length === 0) return new Map();
  const rows: { underlying: string; price: string }[] = await manager.query(
    `SELECT DISTINCT ON (underlying) underlying, price::text AS price
       FROM index_price WHERE underlying = ANY($1::varchar[]) AND observed_at <= $2
      ORDER BY underlying, observed_at DESC, id DESC`,
    [underlyings, now],
  );
  return new Map(rows.map((row) => [row.underlying, new Decimal(row.price)]));
}

async function latestImpliedVolatilities(
  manager: EntityManager,
  instrumentIds: readonly string[],
  now: Date,
): Promise<Map<string, number>> {
  if (instrumentIds.length === 0) return new Map();
  const rows: { instrument_id: string; implied_volatility: number }[] = await manager.query(
    `SELECT DISTINCT ON (instrument_id) instrument_id, implied_volatility
       FROM mark_price WHERE instrument_id = ANY($1::uuid[]) AND observed_at <= $2 AND implied_volatility IS NOT NULL
      ORDER BY instrument_id, observed_at DESC, id DESC`,
    [instrumentIds, now],
  );
  return new Map(rows.map((row) => [row.instrument_id, Number(row.implied_volatility)]));
}

/** Balances of the default fund, insurance fund and CCP capital house accounts, in the reporting asset. */
async function defaultResources(
  manager: EntityManager,
  priceOf: (asset: string) => Decimal | undefined,
): Promise<{ defaultFund: Decimal; insuranceFund: Decimal; ccpCapital: Decimal }> {
  const rows: { house_role: string; asset: string; balance: string }[] = await manager.query(
    `SELECT a.house_role, b.asset, b.balance::text AS balance
       FROM account a JOIN account_balance b ON b.account_id = a.id
      WHERE a.house_role IN ('default_fund', 'insurance_fund', 'ccp_capital')`,
  );
  const totals = { default_fund: new Decimal(0), insurance_fund: new Decimal(0), ccp_capital: new Decimal(0) };
  for (const row of rows) {
    const balance = new Decimal(row.balance);
    if (balance.isZero()) continue;
    const price = priceOf(row.asset);
    if (price === undefined) {
      throw new ReportError('MISSING_MARKET_DATA', `no price of ${row.asset} to value the ${row.house_role} balance`);
    }
    const role = row.house_role as keyof typeof totals;
    totals[role] = totals[role].plus(balance.times(price));
  }
  return { defaultFund: totals.default_fund, insuranceFund: totals.insurance_fund, ccpCapital: totals.ccp_capital };
}
