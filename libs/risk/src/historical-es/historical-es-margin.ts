import { HistoricalEsError } from './historical-es-error.js';
import type { HistoricalEsArrays, HistoricalEsScenarioSet } from './historical-es-arrays.js';
import { measureOf } from './historical-es-arrays.js';
import type { HistoricalEsParameters } from './historical-es-parameters.js';
import { arrayShapingKey, assertValidHistoricalEsParameters } from './historical-es-parameters.js';
import { historicalEsLiquidityAddOn } from './liquidity-add-on.js';
import { tailMeasures } from './tail-selection.js';

/** A holding of one account: signed contracts (negative = short), at most one per instrument. */
export interface HistoricalEsPosition {
  readonly instrumentId: string;
  readonly quantity: number;
}

export interface HistoricalEsBindingScenario {
  /** Index into the look-back scenarios (0 = oldest). */
  readonly index: number;
  /** The historical days it replays, e.g. 'historical day 412' or 'historical days 411-412'. */
  readonly description: string;
}

export interface HistoricalEsPositionBreakdown {
  readonly instrumentId: string;
  readonly quantity: number;
  /** The risk measure of this position held alone, floored at 0. */
  readonly standaloneRiskMeasure: number;
  readonly liquidityAddOn: number;
  /**
   * Euler contribution: for ES, the position's mean loss over the portfolio's tail scenarios; for VaR, its
   * loss in the VaR scenario. Contributions sum to the portfolio measure before its floor at 0.
   */
  readonly contributionToRiskMeasure: number;
}

export interface HistoricalEsMarginResult {
  /** Settlement asset every amount is in; undefined for an account without positions. */
  readonly settlementAsset: string | undefined;
  /** The measure chosen by the parameters (ES or VaR of the portfolio), floored at 0. */
  readonly riskMeasure: number;
  /** k-th worst scenario loss, not floored (negative when even the tail makes money). */
  readonly valueAtRisk: number;
  /** Mean of the k worst scenario losses, not floored. */
  readonly expectedShortfall: number;
  readonly antiProcyclicalityAddOn: number;
  readonly liquidityAddOn: number;
  /** riskMeasure + antiProcyclicalityAddOn + liquidityAddOn. */
  readonly initialMargin: number;
  /** initialMargin x maintenanceFactor. */
  readonly maintenanceMargin: number;
  /** The worst-loss scenario; undefined without positions. */
  readonly bindingScenario: HistoricalEsBindingScenario | undefined;
  /** Portfolio loss per look-back scenario (profit negative), in the settlement asset. */
  readonly scenarioLosses: Float64Array;
  /** The k scenarios of the ES tail, worst first (ties: lower index first); empty without positions. */
  readonly tailScenarioIndexes: readonly number[];
  readonly positions: readonly HistoricalEsPositionBreakdown[];
}

/** Positions per account; bounds the work of one call. */
export const HISTORICAL_ES_POSITION_COUNT_MAX = 10_000;

/**
 * Margin of one account: IM = max(0, ES or VaR of the portfolio P&L over the look-back scenarios)
 * + anti-procyclicality add-on + liquidity add-on; MM = IM x maintenanceFactor. Cost per account is one
 * multiply-add per position and scenario plus one partial selection of the k worst scenarios.
 * `parameters` may differ from the ones the arrays were built with only in anti-procyclicality, liquidity
 * and maintenance factor. All positions must settle in one asset: BTC and USDC losses cannot be added.
 */
export function historicalEsMargin(
  positions: readonly HistoricalEsPosition[],
  arrays: HistoricalEsArrays,
  parameters: HistoricalEsParameters,
): HistoricalEsMarginResult {
  assertParametersMatch(arrays, parameters);
  const indexes = positionIndexes(positions, arrays);
  const settlementAsset = indexes.length === 0 ? undefined : arrays.settlementAssets[indexes[0] ?? 0];
  const quantities = positions.map((position) => position.quantity);
  const historical = arrays.historical;
  const scenarioLosses = portfolioLosses(historical, indexes, quantities);
  const measures = tailMeasures(scenarioLosses, historical.tailCount);
  const riskMeasure = Math.max(0, measureOf(measures, parameters.measure));
  const antiProcyclicalityAddOn = antiProcyclicalityAddOnOf(riskMeasure, arrays, indexes, quantities, parameters);
  const breakdown = positionBreakdown(positions, indexes, arrays, parameters, measures.tailIndexes);
  const liquidity = breakdown.reduce((sum, position) => sum + position.liquidityAddOn, 0);
  const initialMargin = riskMeasure + antiProcyclicalityAddOn + liquidity;
  const empty = indexes.length === 0;
  const binding = measures.tailIndexes[0] ?? 0;
  return {
    settlementAsset,
    riskMeasure,
    valueAtRisk: measures.valueAtRisk,
    expectedShortfall: measures.expectedShortfall,
    antiProcyclicalityAddOn,
    liquidityAddOn: liquidity,
    initialMargin,
    maintenanceMargin: initialMargin * parameters.maintenanceFactor,
    bindingScenario: empty ? undefined : { index: binding, description: scenarioDescription(historical, binding) },
    scenarioLosses,
    tailScenarioIndexes: empty ? [] : Array.from(measures.tailIndexes),
    positions: breakdown,
  };
}

/** The hot loop: losses[s] = sum over positions of q x lossMatrix[instrument][s]. */
function portfolioLosses(
  set: HistoricalEsScenarioSet,
  indexes: readonly number[],
  quantities: readonly number[],
): Float64Array {
  const scenarioCount = set.scenarioCount;
  const matrix = set.lossMatrix;
  const losses = new Float64Array(scenarioCount);
  for (let position = 0; position < indexes.length; position += 1) {
    const quantity = quantities[position] ?? 0;
    if (quantity === 0) continue;
    const offset = (indexes[position] ?? 0) * scenarioCount;
    for (let scenario = 0; scenario < scenarioCount; scenario += 1) {
      losses[scenario] = (losses[scenario] ?? 0) + quantity * (matrix[offset + scenario] ?? 0);
    }
  }
  return losses;
}

/** Formulas on HistoricalEsAntiProcyclicality: buffer R x b; stress floor w x max(0, R_stressed - R). */
function antiProcyclicalityAddOnOf(
  riskMeasure: number,
  arrays: HistoricalEsArrays,
  indexes: readonly number[],
  quantities: readonly number[],
  parameters: HistoricalEsParameters,
): number {
  const tool = parameters.antiProcyclicality;
  switch (tool.kind) {
    case 'none':
      return 0;
    case 'buffer':
      return riskMeasure * tool.bufferFraction;
    case 'stress-period-floor': {
      const stressed = arrays.stressed;
      if (stressed === undefined) {
        throw new HistoricalEsError('MISSING_MARKET_DATA', 'the arrays were built without the stressed period');
      }
      const stressedMeasures = tailMeasures(portfolioLosses(stressed, indexes, quantities), stressed.tailCount);
      const stressedRiskMeasure = Math.max(0, measureOf(stressedMeasures, parameters.measure));
      return tool.weight * Math.max(0, stressedRiskMeasure - riskMeasure);
    }
  }
}

function positionBreakdown(
  positions: readonly HistoricalEsPosition[],
  indexes: readonly number[],
  arrays: HistoricalEsArrays,
  parameters: HistoricalEsParameters,
  tailIndexes: Int32Array,
): HistoricalEsPositionBreakdown[] {
  const { scenarioCount, lossMatrix, longRiskMeasurePerContract, shortRiskMeasurePerContract } = arrays.historical;
  const tailCount = tailIndexes.length;
  return positions.map((position, positionIndex) => {
    const index = indexes[positionIndex] ?? 0;
    const quantity = position.quantity;
    const offset = index * scenarioCount;
    let contribution: number;
    if (parameters.measure === 'expected-shortfall') {
      let tailLoss = 0;
      for (let rank = 0; rank < tailCount; rank += 1) tailLoss += lossMatrix[offset + (tailIndexes[rank] ?? 0)] ?? 0;
      contribution = (quantity * tailLoss) / tailCount;
    } else {
      contribution = quantity * (lossMatrix[offset + (tailIndexes[tailCount - 1] ?? 0)] ?? 0);
    }
    // Positive homogeneity: the measure of q contracts is |q| x the measure of one contract on q's side.
    const perContract = quantity >= 0 ? longRiskMeasurePerContract[index] : shortRiskMeasurePerContract[index];
    const liquidity = Object.hasOwn(parameters.liquidity, position.instrumentId)
      ? parameters.liquidity[position.instrumentId]
      : undefined;
    return {
      instrumentId: position.instrumentId,
      quantity,
      standaloneRiskMeasure: Math.max(0, Math.abs(quantity) * (perContract ?? 0)),
      liquidityAddOn:
        liquidity === undefined
          ? 0
          : historicalEsLiquidityAddOn(arrays.underlyingNotionalPerContract[index] ?? 0, quantity, liquidity),
      contributionToRiskMeasure: contribution,
    };
  });
}

function assertParametersMatch(arrays: HistoricalEsArrays, parameters: HistoricalEsParameters): void {
  // Same object: validated when the arrays were built; the common case costs one comparison.
  if (parameters === arrays.parameters) return;
  assertValidHistoricalEsParameters(parameters);
  if (arrayShapingKey(parameters) !== arrays.shapingKey) {
    throw new HistoricalEsError(
      'INVALID_PARAMETERS',
      'parameters differ from the arrays in look-back, confidence, measure, horizon, filtering or volatility floor',
    );
  }
}

/** Instrument index of each position; checks count, quantities, known instruments, one asset, no duplicates. */
function positionIndexes(positions: readonly HistoricalEsPosition[], arrays: HistoricalEsArrays): number[] {
  if (positions.length > HISTORICAL_ES_POSITION_COUNT_MAX) {
    throw new HistoricalEsError('INVALID_POSITION', `more than ${HISTORICAL_ES_POSITION_COUNT_MAX} positions`);
  }
  const seen = new Set<number>();
  let settlementAsset: string | undefined;
  return positions.map((position) => {
    if (!Number.isFinite(position.quantity)) {
      throw new HistoricalEsError(
        'INVALID_POSITION',
        `quantity of ${position.instrumentId} must be finite, got ${position.quantity}`,
      );
    }
    const index = arrays.instrumentIndexById.get(position.instrumentId);
    if (index === undefined)
      throw new HistoricalEsError('UNKNOWN_INSTRUMENT', `no risk array for ${position.instrumentId}`);
    // One position per instrument: the liquidity add-on is a cost of closing the NET position.
    if (seen.has(index))
      throw new HistoricalEsError('INVALID_POSITION', `${position.instrumentId} appears twice; net it first`);
    seen.add(index);
    const asset = arrays.settlementAssets[index];
    settlementAsset ??= asset;
    if (asset !== settlementAsset) {
      throw new HistoricalEsError('MIXED_SETTLEMENT_ASSETS', `account mixes ${settlementAsset} and ${asset}`);
    }
    return index;
  });
}

/** Names a scenario by the historical days it replays (indexes into the daily return series, oldest = 0). */
export function scenarioDescription(set: HistoricalEsScenarioSet, index: number): string {
  const start = set.startDayIndexes[index] ?? 0;
  const end = set.endDayIndexes[index] ?? 0;
  return start === end ? `historical day ${end}` : `historical days ${start}-${end}`;
}
