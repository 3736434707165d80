import type { GroupHolding } from './contingency-charges.js';
import { groupContingencies } from './contingency-charges.js';
import { groupOffsetCredit } from './group-offsets.js';
import type { RiskArrays } from './risk-arrays.js';
import { ScenarioMarginError } from './scenario-margin-error.js';
import type { ScenarioMarginParameters } from './scenario-parameters.js';

/** A holding of one account: signed contracts (negative = short). */
export interface ScenarioPosition {
  readonly instrumentId: string;
  readonly quantity: number;
}

export interface BindingScenario {
  readonly index: number;
  readonly description: string;
}

export interface GroupMarginBreakdown {
  readonly underlying: string;
  /** Largest weighted scenario loss of the group, floored at 0. */
  readonly scanLoss: number;
  readonly bindingScenario: BindingScenario;
  readonly shortOptionCharge: number;
  /** Charge on futures offsetting each other across expiries (futuresOffsetChargeFraction). */
  readonly futuresOffsetCharge: number;
  readonly netDeltaNotional: number;
  readonly netDeltaCharge: number;
  /** scanLoss + shortOptionCharge + futuresOffsetCharge + netDeltaCharge, before offsets between groups. */
  readonly initialMargin: number;
}

export interface PositionMarginBreakdown {
  readonly instrumentId: string;
  readonly underlying: string;
  readonly quantity: number;
  /** Weighted loss of this position in its group's binding scenario: its share of the scan loss. */
  readonly lossInBindingScenario: number;
  /** Largest weighted loss of this position held alone, floored at 0. */
  readonly standaloneScanLoss: number;
}

export interface ScenarioMarginResult {
  /** Settlement asset every amount is in; undefined for an account without positions. */
  readonly settlementAsset: string | undefined;
  readonly initialMargin: number;
  readonly maintenanceMargin: number;
  readonly offsetCredit: number;
  /** Binding scenario of the group with the largest scan loss; undefined without positions. */
  readonly bindingScenario: BindingScenario | undefined;
  /** Weighted loss per scenario summed over groups (every underlying moved by the same shock). */
  readonly scenarioLosses: Float64Array;
  readonly groups: readonly GroupMarginBreakdown[];
  readonly positions: readonly PositionMarginBreakdown[];
}

/** Positions per account; bounds the work of one call. */
export const ACCOUNT_POSITION_COUNT_MAX = 10_000;

/**
 * Margin of one account with its full breakdown. IM per underlying group = max weighted scenario loss
 * + short-option charge + net-delta charge; account IM = sum of groups - offset credit; MM = IM x factor.
 * All positions must settle in one asset: losses in BTC and in USDC cannot be added.
 */
export function portfolioScenarioMargin(
  positions: readonly ScenarioPosition[],
  riskArrays: RiskArrays,
  parameters: ScenarioMarginParameters,
): ScenarioMarginResult {
  const scenarioCount = riskArrays.scenarios.length;
  assertPositions(positions, riskArrays, scenarioCount);
  const indexes = positions.map((position) => instrumentIndex(riskArrays, position.instrumentId));
  const settlementAsset = indexes.length === 0 ? undefined : riskArrays.settlementAssets[indexes[0] ?? 0];
  const groupRows = new Map<string, Float64Array>();
  const groupDeltas = new Map<string, number>();
  const groupHoldings = new Map<string, GroupHolding[]>();
  const standaloneLosses: number[] = [];
  indexes.forEach((index, positionIndex) => {
    const quantity = positions[positionIndex]?.quantity ?? 0;
    if (riskArrays.settlementAssets[index] !== settlementAsset) {
      throw new ScenarioMarginError('MIXED_SETTLEMENT_ASSETS', `account mixes ${settlementAsset} and another asset`);
    }
    const underlying = riskArrays.underlyings[index] ?? '';
    const row = groupRows.get(underlying) ?? new Float64Array(scenarioCount);
    groupRows.set(underlying, row);
    let standalone = 0;
    for (let scenario = 0; scenario < scenarioCount; scenario += 1) {
      const loss = quantity * (riskArrays.weightedLossMatrix[index * scenarioCount + scenario] ?? 0);
      row[scenario] = (row[scenario] ?? 0) + loss;
      standalone = Math.max(standalone, loss);
    }
    standaloneLosses.push(standalone);
    const delta = quantity * (riskArrays.deltaNotionalPerContract[index] ?? 0);
    groupDeltas.set(underlying, (groupDeltas.get(underlying) ?? 0) + delta);
    const holdings = groupHoldings.get(underlying) ?? [];
    holdings.push({ index, quantity });
    groupHoldings.set(underlying, holdings);
  });
  const scenarioLosses = new Float64Array(scenarioCount);
  const groups: GroupMarginBreakdown[] = [];
  for (const [underlying, row] of groupRows) {
    const bindingIndex = argMax(row);
    row.forEach((loss, scenario) => (scenarioLosses[scenario] = (scenarioLosses[scenario] ?? 0) + loss));
    const scanLoss = Math.max(row[bindingIndex] ?? 0, 0);
    const netDeltaNotional = groupDeltas.get(underlying) ?? 0;
    const netDeltaCharge = Math.abs(netDeltaNotional) * parameters.netDeltaChargeFraction;
    const { shortOptionCharge, futuresOffsetCharge } = groupContingencies(
      groupHoldings.get(underlying) ?? [],
      riskArrays,
      parameters,
    );
    groups.push({
      underlying,
      scanLoss,
      bindingScenario: bindingScenario(riskArrays, bindingIndex),
      shortOptionCharge,
      futuresOffsetCharge,
      netDeltaNotional,
      netDeltaCharge,
      initialMargin: scanLoss + shortOptionCharge + futuresOffsetCharge + netDeltaCharge,
    });
  }
  const scanLossOf = (underlying: string): number =>
    groups.find((group) => group.underlying === underlying)?.scanLoss ?? 0;
  const offsetCredit = groupOffsetCredit(parameters.groupOffsets, scanLossOf);
  const grossMargin = groups.reduce((sum, group) => sum + group.initialMargin, 0);
  const initialMargin = Math.max(grossMargin - offsetCredit, 0);
  const largest = groups.reduce<GroupMarginBreakdown | undefined>(
    (best, group) => (best === undefined || group.scanLoss > best.scanLoss ? group : best),
    undefined,
  );
  return {
    settlementAsset,
    initialMargin,
    maintenanceMargin: initialMargin * parameters.maintenanceFactor,
    offsetCredit,
    bindingScenario: largest?.bindingScenario,
    scenarioLosses,
    groups,
    positions: positions.map((position, positionIndex) => {
      const index = indexes[positionIndex] ?? 0;
      const underlying = riskArrays.underlyings[index] ?? '';
      const binding = groups.find((group) => group.underlying === underlying)?.bindingScenario.index ?? 0;
      return {
        instrumentId: position.instrumentId,
        underlying,
        quantity: position.quantity,
        lossInBindingScenario:
          position.quantity * (riskArrays.weightedLossMatrix[index * scenarioCount + binding] ?? 0),
        standaloneScanLoss: standaloneLosses[positionIndex] ?? 0,
      };
    }),
  };
}

function assertPositions(positions: readonly ScenarioPosition[], riskArrays: RiskArrays, scenarioCount: number): void {
  if (positions.length > ACCOUNT_POSITION_COUNT_MAX) {
    throw new ScenarioMarginError('INVALID_POSITION', `more than ${ACCOUNT_POSITION_COUNT_MAX} positions`);
  }
  if (riskArrays.weightedLossMatrix.length !== riskArrays.instrumentIds.length * scenarioCount) {
    throw new ScenarioMarginError('INVALID_PARAMETERS', 'risk arrays do not match their scenario list');
  }
  for (const position of positions) {
    if (!Number.isFinite(position.quantity)) {
      throw new ScenarioMarginError('INVALID_POSITION', `quantity of ${position.instrumentId} must be finite`);
    }
  }
}

function instrumentIndex(riskArrays: RiskArrays, instrumentId: string): number {
  const index = riskArrays.instrumentIndexById.get(instrumentId);
  if (index === undefined) throw new ScenarioMarginError('UNKNOWN_INSTRUMENT', `no risk array for ${instrumentId}`);
  return index;
}

/** Index of the largest value; the first one on ties, so the binding scenario is deterministic. */
function argMax(values: Float64Array): number {
  let best = 0;
  for (let index = 1; index < values.length; index += 1) {
    if ((values[index] ?? 0) > (values[best] ?? 0)) best = index;
  }
  return best;
}

function bindingScenario(riskArrays: RiskArrays, index: number): BindingScenario {
  return { index, description: riskArrays.scenarios[index]?.description ?? '' };
}
