import type { Instrument } from '@novation/instruments';
import type { ScenarioMarketSnapshot } from '../scenario/contract-valuer.js';

/** A named extreme-but-plausible market move (e.g. a replay of March 2020). */
export interface StressScenario {
  /** Unique; the id of the scenario in every result. */
  readonly name: string;
  /** Relative price move per underlying: -0.3 is -30%; must be > -1. Underlyings absent do not move. */
  readonly underlyingShocks: Readonly<Record<string, number>>;
  /** Relative move of every option's implied volatility: 0.5 means vol x 1.5; floored by volatilityFloor. */
  readonly volatilityShockFraction: number;
}

export interface StressPosition {
  readonly instrumentId: string;
  /** Signed contracts: negative is short. */
  readonly quantity: number;
}

export interface StressAccount {
  readonly accountId: string;
  readonly memberId: string;
  /** Every position of the account must settle in this asset. */
  readonly settlementAsset: string;
  readonly positions: readonly StressPosition[];
  /** Initial margin / collateral held against the account, in its settlement asset. */
  readonly marginHeld: number;
}

/** The mutualised default resources, in the reporting asset. */
export interface DefaultResources {
  readonly defaultFund: number;
  /** The CCP's own capital committed ahead of the non-defaulters' contributions. */
  readonly ccpSkinInTheGame?: number;
  /** Each member's contribution to the default fund, included in defaultFund. */
  readonly memberDefaultFundContributions?: Readonly<Record<string, number>>;
}

export interface StressTestInput {
  readonly scenarios: readonly StressScenario[];
  readonly instruments: readonly Instrument[];
  readonly snapshot: ScenarioMarketSnapshot;
  readonly volatilityFloor: number;
  readonly accounts: readonly StressAccount[];
  /** Price of each settlement asset in the reporting asset; the reporting asset itself is 1. */
  readonly settlementAssetPrices?: ReadonlyMap<string, number>;
  readonly reportingAsset: string;
  readonly defaultResources: DefaultResources;
}

/** One member under one scenario; every amount is in the reporting asset. */
export interface MemberStressResult {
  readonly memberId: string;
  /** Sum of its accounts' stress losses (a gain is negative). */
  readonly stressLoss: number;
  readonly marginHeld: number;
  /** Sum of its accounts' losses beyond their own margin: accounts are not netted against each other. */
  readonly uncoveredLoss: number;
  readonly defaultFundContribution: number;
  /** max(0, uncoveredLoss - defaultFundContribution): what the defaulter's own resources leave to others. */
  readonly lossToMutualisedFund: number;
}

export interface ScenarioStressResult {
  readonly scenarioName: string;
  /** Every member with an account, by uncovered loss descending, ties by memberId. */
  readonly members: readonly MemberStressResult[];
  /** Largest member uncovered loss (cover 1), in the reporting asset. */
  readonly coverOneLoss: number;
  /** Sum of the two largest member uncovered losses (cover 2), in the reporting asset. */
  readonly coverTwoLoss: number;
  readonly coverOneMemberIds: readonly string[];
  readonly coverTwoMemberIds: readonly string[];
  readonly coverOnePassed: boolean;
  readonly coverTwoPassed: boolean;
}

/** The scenario with the largest stress loss of one account. */
export interface AccountWorstScenario {
  readonly accountId: string;
  readonly memberId: string;
  readonly settlementAsset: string;
  readonly scenarioName: string;
  /** In the account's settlement asset. */
  readonly stressLoss: number;
  /** max(0, stressLoss - marginHeld), in the account's settlement asset. */
  readonly uncoveredLoss: number;
  readonly stressLossInReportingAsset: number;
  readonly uncoveredLossInReportingAsset: number;
}

export interface StressTestResult {
  readonly reportingAsset: string;
  /** defaultFund + ccpSkinInTheGame: what a default may consume beyond the defaulters' margin. */
  readonly availableResources: number;
  /** One result per scenario, in input order. */
  readonly scenarios: readonly ScenarioStressResult[];
  /** The scenario with the largest cover-2 loss, ties by scenario name. */
  readonly worstScenarioForCoverTwo: ScenarioStressResult;
  /** Sorted by accountId. */
  readonly accountWorstScenarios: readonly AccountWorstScenario[];
}
