import type { HistoricalEsMarket } from '../historical-es/historical-es-arrays.js';
import { buildHistoricalEsArrays } from '../historical-es/historical-es-arrays.js';
import { historicalEsMargin } from '../historical-es/historical-es-margin.js';
import { scenarioMarginToDecimal } from '../scenario/margin-to-decimal.js';
import type { MarginContext } from './margin-context.js';
import { assetScale, settlementAssetsOf } from './margin-context.js';
import { MarginError } from './margin-error.js';
import type { HistoricalEsModelParameters } from './margin-request-schema.js';
import type { ModelGroupMargin } from './model-outcome.js';
import { scenarioSnapshot } from './portfolio-scenario-model.js';

/**
 * Historical-ES margin (SPAN 2 / Prisma / STANS family) of each settlement-asset group, on arrays built
 * from the request's return history for the group's instruments only.
 */
export function historicalEsModelMargin(
  context: MarginContext,
  parameters: HistoricalEsModelParameters,
): ModelGroupMargin[] {
  const market = historicalEsMarket(context);
  return settlementAssetsOf(context.positions).map((settlementAsset) => {
    const scale = assetScale(context, settlementAsset);
    const positions = context.positions.filter((position) => position.instrument.settlementAsset === settlementAsset);
    const arrays =
      context.sharedArrays?.historicalEs.get(settlementAsset) ??
      buildHistoricalEsArrays(
        positions.map((position) => position.instrument),
        market,
        parameters,
      );
    const result = historicalEsMargin(
      positions.map((position) => ({ instrumentId: position.instrument.id, quantity: position.quantity.toNumber() })),
      arrays,
      parameters,
    );
    const component = (name: string, amount: number) => ({
      name,
      initialMargin: scenarioMarginToDecimal(amount, scale),
      maintenanceMargin: scenarioMarginToDecimal(amount * parameters.maintenanceFactor, scale),
    });
    return {
      settlementAsset,
      initialMargin: scenarioMarginToDecimal(result.initialMargin, scale),
      maintenanceMargin: scenarioMarginToDecimal(result.maintenanceMargin, scale),
      components: [
        component(
          parameters.measure === 'expected-shortfall' ? 'expected_shortfall' : 'value_at_risk',
          result.riskMeasure,
        ),
        component('anti_procyclicality', result.antiProcyclicalityAddOn),
        component('liquidity_add_on', result.liquidityAddOn),
      ],
      positions: result.positions.map((position) => ({
        instrumentId: position.instrumentId,
        standaloneLoss: position.standaloneRiskMeasure,
        contributionToRiskMeasure: position.contributionToRiskMeasure,
        liquidityAddOn: position.liquidityAddOn,
      })),
      scenario: {
        bindingScenario: result.bindingScenario ?? null,
        scenarioLosses: Array.from(result.scenarioLosses),
        tailScenarioIndexes: Array.from(result.tailScenarioIndexes),
      },
    };
  });
}

export function historicalEsMarket(context: MarginContext): HistoricalEsMarket {
  const { returnHistory, stressedReturnHistory } = context.request.marketSnapshot;
  if (returnHistory === undefined) {
    throw new MarginError(
      'MISSING_MARKET_DATA',
      'historical-es needs a return history',
      'marketSnapshot.returnHistory',
    );
  }
  return {
    ...scenarioSnapshot(context),
    returnHistory: new Map(Object.entries(returnHistory)),
    ...(stressedReturnHistory === undefined
      ? {}
      : { stressedReturnHistory: new Map(Object.entries(stressedReturnHistory)) }),
  };
}
