import { positionValue, unrealisedPnl } from '@novation/instruments';
import type { Decimal } from '@novation/money';
import { Decimal as DecimalValue, ZERO, roundEquity, roundPayout, roundRequirement } from '@novation/money';
import type { CollateralHaircut } from '../collateral/collateral-haircuts.js';
import type { CollateralValuation } from '../collateral/collateral-valuation.js';
import { valueCollateral } from '../collateral/collateral-valuation.js';
import { ENGINE_VERSION } from '../receipt/margin-receipt.js';
import { historicalEsModelMargin } from './historical-es-model.js';
import type { MarginContext, ResolvedPosition, SharedModelArrays } from './margin-context.js';
import { assetPrice, assetScale, buildMarginContext } from './margin-context.js';
import { MarginError, asMarginError } from './margin-error.js';
import type { MarginModelName, MarginRequest } from './margin-request-schema.js';
import { marginRequestSchema } from './margin-request-schema.js';
import type { ModelGroupMargin, ModelPositionDetail, ScenarioDetail } from './model-outcome.js';
import { portfolioScenarioModelMargin } from './portfolio-scenario-model.js';
import { standardModelMargin } from './standard-model.js';

/**
 * Where an account stands against its requirements:
 * - healthy: equity (after IM haircuts) covers IM: it may add risk and withdraw down to IM;
 * - below_initial_margin: MM is covered but IM is not: a margin call, no new risk, no withdrawal;
 * - below_maintenance_margin: equity (after MM haircuts) is below MM: liquidation.
 */
export type MarginStatus = 'healthy' | 'below_initial_margin' | 'below_maintenance_margin';

export interface MarginPositionResult {
  readonly instrumentId: string;
  readonly settlementAsset: string;
  readonly quantity: string;
  readonly markPrice: string;
  /**
   * What the position adds to equity, in its settlement asset (rounded toward minus infinity): the
   * unrealised PnL of futures and perpetuals, the value at mark of options and spot.
   */
  readonly equityContribution: string;
  readonly initialMargin: string | null;
  readonly maintenanceMargin: string | null;
  readonly lossInBindingScenario: number | null;
  readonly standaloneLoss: number | null;
  readonly contributionToRiskMeasure: number | null;
  readonly liquidityAddOn: number | null;
}

export interface MarginGroupResult {
  readonly settlementAsset: string;
  /** Price of one unit of the settlement asset in the margin asset. */
  readonly priceInMarginAsset: string;
  readonly initialMargin: string;
  readonly maintenanceMargin: string;
  readonly initialMarginInMarginAsset: string;
  readonly maintenanceMarginInMarginAsset: string;
  readonly equityContribution: string;
  readonly components: readonly {
    readonly name: string;
    readonly initialMargin: string;
    readonly maintenanceMargin: string;
  }[];
  readonly scenario: ScenarioDetail | null;
}

/** The result of one margin computation: JSON data (amounts as decimal strings), hashed into receipts. */
export interface MarginResult {
  readonly engineVersion: string;
  readonly model: MarginModelName;
  readonly parameterSetVersion: string;
  readonly marginAsset: string;
  readonly status: MarginStatus;
  /** Collateral at market value + position contributions: what the account is worth. */
  readonly equity: string;
  /** Collateral after IM haircuts + position contributions: compared with IM. */
  readonly equityForInitialMargin: string;
  /** Collateral after MM haircuts + position contributions: compared with MM. */
  readonly equityForMaintenanceMargin: string;
  readonly initialMargin: string;
  readonly maintenanceMargin: string;
  /** equityForInitialMargin - IM: what may be withdrawn when positive, the margin-call amount when negative. */
  readonly initialMarginHeadroom: string;
  readonly maintenanceMarginHeadroom: string;
  /** equityForMaintenanceMargin / MM rounded down to 6 places; null without a requirement. Below 1 = liquidation. */
  readonly marginRatio: string | null;
  readonly collateral: {
    readonly marketValue: string;
    readonly initialMarginValue: string;
    readonly maintenanceMarginValue: string;
    readonly lines: readonly {
      readonly asset: string;
      readonly amount: string;
      readonly price: string;
      readonly marketValue: string;
      readonly initialMarginValue: string;
      readonly maintenanceMarginValue: string;
    }[];
  };
  readonly groups: readonly MarginGroupResult[];
  readonly positions: readonly MarginPositionResult[];
}

const MARGIN_RATIO_SCALE = 6;

/** Validates raw JSON into a margin request; a bad field is a MarginError naming its dotted path. */
export function parseMarginRequest(raw: unknown): MarginRequest {
  const parsed = marginRequestSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const path = issue?.path.map(String) ?? [];
  if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  throw new MarginError('INVALID_REQUEST', issue?.message ?? 'invalid margin request', path.join('.'));
}

/**
 * Margin of one account: equity, IM, MM and the breakdown, under the model the request names. A pure
 * function of the request: the same request gives the same result, bit for bit, on any machine.
 * Errors of every model library come out as MarginError with the library's code.
 */
export function computeMargin(request: MarginRequest): MarginResult {
  return computeMarginWithArrays(request, undefined);
}

/** computeMargin on arrays a batch built once; same result as without them (see SharedModelArrays). */
export function computeMarginWithArrays(
  request: MarginRequest,
  sharedArrays: SharedModelArrays | undefined,
): MarginResult {
  if (request.engineVersion !== undefined && request.engineVersion !== ENGINE_VERSION) {
    throw new MarginError(
      'ENGINE_VERSION_MISMATCH',
      `request is for engine ${request.engineVersion}; this is engine ${ENGINE_VERSION}`,
      'engineVersion',
    );
  }
  try {
    const context = buildMarginContext(request, sharedArrays);
    return assemble(context, modelGroups(context));
  } catch (error) {
    throw asMarginError(error);
  }
}

function modelGroups(context: MarginContext): ModelGroupMargin[] {
  const { model, parameters } = context.request;
  const missing = (key: string): never => {
    throw new MarginError('MISSING_PARAMETERS', `model ${model} needs parameters.${key}`, `parameters.${key}`);
  };
  switch (model) {
    case 'standard':
      return standardModelMargin(context, parameters.standard ?? missing('standard'));
    case 'portfolio-scenario':
      return portfolioScenarioModelMargin(context, parameters.portfolioScenario ?? missing('portfolioScenario'));
    case 'historical-es':
      return historicalEsModelMargin(context, parameters.historicalEs ?? missing('historicalEs'));
  }
}

function assemble(context: MarginContext, groups: readonly ModelGroupMargin[]): MarginResult {
  const { request, marginAsset } = context;
  const marginScale = assetScale(context, marginAsset);
  const collateral = valueAccountCollateral(context, marginScale);
  const positionResults = context.positions.map((position) => positionResult(context, position, groups));
  const groupResults = groups.map((group) => groupResult(context, group, positionResults, marginScale));
  const sum = (pick: (group: MarginGroupResult) => string): Decimal =>
    groupResults.reduce((total, group) => total.plus(pick(group)), ZERO);
  const positionsEquity = sum((group) => group.equityContribution);
  const initialMargin = sum((group) => group.initialMarginInMarginAsset);
  const maintenanceMargin = sum((group) => group.maintenanceMarginInMarginAsset);
  const equity = collateral.marketValue.plus(positionsEquity);
  const equityForInitialMargin = collateral.initialMarginValue.plus(positionsEquity);
  const equityForMaintenanceMargin = collateral.maintenanceMarginValue.plus(positionsEquity);
  return {
    engineVersion: ENGINE_VERSION,
    model: request.model,
    parameterSetVersion: request.parameterSetVersion,
    marginAsset,
    status: marginStatus(equityForInitialMargin, initialMargin, equityForMaintenanceMargin, maintenanceMargin),
    equity: equity.toFixed(),
    equityForInitialMargin: equityForInitialMargin.toFixed(),
    equityForMaintenanceMargin: equityForMaintenanceMargin.toFixed(),
    initialMargin: initialMargin.toFixed(),
    maintenanceMargin: maintenanceMargin.toFixed(),
    initialMarginHeadroom: equityForInitialMargin.minus(initialMargin).toFixed(),
    maintenanceMarginHeadroom: equityForMaintenanceMargin.minus(maintenanceMargin).toFixed(),
    marginRatio: maintenanceMargin.isZero()
      ? null
      : roundPayout(equityForMaintenanceMargin.dividedBy(maintenanceMargin), MARGIN_RATIO_SCALE).toFixed(),
    collateral: {
      marketValue: collateral.marketValue.toFixed(),
      initialMarginValue: collateral.initialMarginValue.toFixed(),
      maintenanceMarginValue: collateral.maintenanceMarginValue.toFixed(),
      lines: collateral.lines.map((line) => ({
        asset: line.asset,
        amount: line.amount.toFixed(),
        price: line.price.toFixed(),
        marketValue: line.marketValue.toFixed(),
        initialMarginValue: line.initialMarginValue.toFixed(),
        maintenanceMarginValue: line.maintenanceMarginValue.toFixed(),
      })),
    },
    groups: groupResults,
    positions: positionResults,
  };
}

export function marginStatus(
  equityForInitialMargin: Decimal,
  initialMargin: Decimal,
  equityForMaintenanceMargin: Decimal,
  maintenanceMargin: Decimal,
): MarginStatus {
  if (equityForMaintenanceMargin.lessThan(maintenanceMargin)) return 'below_maintenance_margin';
  if (equityForInitialMargin.lessThan(initialMargin)) return 'below_initial_margin';
  return 'healthy';
}

function valueAccountCollateral(context: MarginContext, marginScale: number): CollateralValuation {
  const haircuts = new Map<string, CollateralHaircut>();
  for (const [asset, parameters] of Object.entries(context.request.parameters.assets)) {
    haircuts.set(asset, {
      initial: new DecimalValue(parameters.initialHaircut),
      maintenance: new DecimalValue(parameters.maintenanceHaircut),
    });
  }
  return valueCollateral({
    settlementAsset: context.marginAsset,
    holdings: context.request.collateral.holdings.map((holding) => ({
      asset: holding.asset,
      amount: new DecimalValue(holding.amount),
    })),
    prices: context.assetPrices,
    haircuts,
    scale: marginScale,
  });
}

function positionResult(
  context: MarginContext,
  position: ResolvedPosition,
  groups: readonly ModelGroupMargin[],
): MarginPositionResult {
  const { instrument } = position;
  const detail: ModelPositionDetail | undefined = groups
    .find((group) => group.settlementAsset === instrument.settlementAsset)
    ?.positions.find((candidate) => candidate.instrumentId === instrument.id);
  // Options and spot are held at their value; futures and perpetuals at their PnL since entry (their
  // value was never paid). buildMarginContext guarantees futures carry an average entry price.
  const heldAtValue = instrument.kind === 'european_option' || instrument.kind === 'spot';
  const contribution =
    heldAtValue || position.averageEntryPrice === undefined
      ? positionValue(instrument, position.quantity, position.markPrice)
      : unrealisedPnl(instrument, position.quantity, position.averageEntryPrice, position.markPrice);
  return {
    instrumentId: instrument.id,
    settlementAsset: instrument.settlementAsset,
    quantity: position.quantity.toFixed(),
    markPrice: position.markPrice.toFixed(),
    equityContribution: roundEquity(contribution, assetScale(context, instrument.settlementAsset)).toFixed(),
    initialMargin: detail?.initialMargin?.toFixed() ?? null,
    maintenanceMargin: detail?.maintenanceMargin?.toFixed() ?? null,
    lossInBindingScenario: detail?.lossInBindingScenario ?? null,
    standaloneLoss: detail?.standaloneLoss ?? null,
    contributionToRiskMeasure: detail?.contributionToRiskMeasure ?? null,
    liquidityAddOn: detail?.liquidityAddOn ?? null,
  };
}

/**
 * Converts a settlement-asset group into the margin asset: requirements rounded up, equity rounded
 * toward minus infinity, both to the margin asset's scale. Groups are summed with no offset between them.
 */
function groupResult(
  context: MarginContext,
  group: ModelGroupMargin,
  positions: readonly MarginPositionResult[],
  marginScale: number,
): MarginGroupResult {
  const price = assetPrice(context, group.settlementAsset);
  const equityContribution = positions
    .filter((position) => position.settlementAsset === group.settlementAsset)
    .reduce((total, position) => total.plus(position.equityContribution), ZERO);
  return {
    settlementAsset: group.settlementAsset,
    priceInMarginAsset: price.toFixed(),
    initialMargin: group.initialMargin.toFixed(),
    maintenanceMargin: group.maintenanceMargin.toFixed(),
    initialMarginInMarginAsset: roundRequirement(group.initialMargin.times(price), marginScale).toFixed(),
    maintenanceMarginInMarginAsset: roundRequirement(group.maintenanceMargin.times(price), marginScale).toFixed(),
    equityContribution: roundEquity(equityContribution.times(price), marginScale).toFixed(),
    components: group.components.map((component) => ({
      name: component.name,
      initialMargin: component.initialMargin.toFixed(),
      maintenanceMargin: component.maintenanceMargin.toFixed(),
    })),
    scenario: group.scenario ?? null,
  };
}
