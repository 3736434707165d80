import type { ScenarioMarketSnapshot } from '../scenario/contract-valuer.js';
import { scenarioMarginToDecimal } from '../scenario/margin-to-decimal.js';
import { portfolioScenarioMargin } from '../scenario/portfolio-margin.js';
import { buildRiskArrays } from '../scenario/risk-arrays.js';
import type { MarginContext } from './margin-context.js';
import { assetScale, settlementAssetsOf } from './margin-context.js';
import type { PortfolioScenarioModelParameters } from './margin-request-schema.js';
import type { ModelGroupMargin } from './model-outcome.js';

/**
 * Portfolio-scenario margin (SPAN / Deribit family) of each settlement-asset group: the risk arrays of
 * the group's instruments are built from the snapshot and the group margined on them. Losses in BTC and
 * USDC are never added inside the grid; the groups are converted and summed by computeMargin, with no
 * offset between them (conservative: the two groups' worst scenarios may differ).
 */
export function portfolioScenarioModelMargin(
  context: MarginContext,
  parameters: PortfolioScenarioModelParameters,
): ModelGroupMargin[] {
  const snapshot = scenarioSnapshot(context);
  return settlementAssetsOf(context.positions).map((settlementAsset) => {
    const scale = assetScale(context, settlementAsset);
    const positions = context.positions.filter((position) => position.instrument.settlementAsset === settlementAsset);
    const riskArrays =
      context.sharedArrays?.scenario.get(settlementAsset) ??
      buildRiskArrays(
        positions.map((position) => position.instrument),
        snapshot,
        parameters,
      );
    const result = portfolioScenarioMargin(
      positions.map((position) => ({ instrumentId: position.instrument.id, quantity: position.quantity.toNumber() })),
      riskArrays,
      parameters,
    );
    const component = (name: string, amount: number) => {
      const initialMargin = scenarioMarginToDecimal(amount, scale);
      return {
        name,
        initialMargin,
        maintenanceMargin: scenarioMarginToDecimal(amount * parameters.maintenanceFactor, scale),
      };
    };
    const sumOver = (pick: (group: (typeof result.groups)[number]) => number) =>
      result.groups.reduce((sum, group) => sum + pick(group), 0);
    return {
      settlementAsset,
      initialMargin: scenarioMarginToDecimal(result.initialMargin, scale),
      maintenanceMargin: scenarioMarginToDecimal(result.maintenanceMargin, scale),
      components: [
        component(
          'scan_loss',
          sumOver((group) => group.scanLoss),
        ),
        component(
          'short_option_charge',
          sumOver((group) => group.shortOptionCharge),
        ),
        component(
          'net_delta_charge',
          sumOver((group) => group.netDeltaCharge),
        ),
        // A credit lowers the requirement; reported as a positive amount to subtract.
        component('group_offset_credit', result.offsetCredit),
      ],
      positions: result.positions.map((position) => ({
        instrumentId: position.instrumentId,
        lossInBindingScenario: position.lossInBindingScenario,
        standaloneLoss: position.standaloneScanLoss,
      })),
      scenario: {
        bindingScenario: result.bindingScenario ?? null,
        scenarioLosses: Array.from(result.scenarioLosses),
      },
    };
  });
}

/** The float64 view of the snapshot the scenario maths runs on. */
export function scenarioSnapshot(context: MarginContext): ScenarioMarketSnapshot {
  const { marketSnapshot } = context.request;
  return {
    valuationEpochMs: marketSnapshot.valuationEpochMs,
    riskFreeRate: marketSnapshot.riskFreeRate,
    underlyingPrices: new Map(
      [...context.underlyingPrices].map(([underlying, price]) => [underlying, price.toNumber()]),
    ),
    impliedVolatilities: new Map(Object.entries(marketSnapshot.impliedVolatilities)),
  };
}
