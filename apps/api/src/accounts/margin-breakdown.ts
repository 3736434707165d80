import type { MarginResult } from '@novation/risk';
import type { Margin } from './models/margin.model.js';

/** The fields Account.margin and simulateMargin share: a computeMargin result as GraphQL data. */
export type MarginBreakdown = Omit<Margin, 'receiptId' | 'inputsHash' | 'computedAt'>;

export function marginBreakdown(result: MarginResult): MarginBreakdown {
  return {
    model: result.model,
    parameterSetVersion: result.parameterSetVersion,
    marginAsset: result.marginAsset,
    status: result.status,
    equity: result.equity,
    equityForInitialMargin: result.equityForInitialMargin,
    equityForMaintenanceMargin: result.equityForMaintenanceMargin,
    initialMargin: result.initialMargin,
    maintenanceMargin: result.maintenanceMargin,
    marginRatio: result.marginRatio,
    groups: result.groups.map((group) => ({
      settlementAsset: group.settlementAsset,
      priceInMarginAsset: group.priceInMarginAsset,
      initialMargin: group.initialMargin,
      maintenanceMargin: group.maintenanceMargin,
      initialMarginInMarginAsset: group.initialMarginInMarginAsset,
      maintenanceMarginInMarginAsset: group.maintenanceMarginInMarginAsset,
      equityContribution: group.equityContribution,
      components: group.components.map((component) => ({ ...component })),
    })),
    positions: result.positions.map((position) => ({
      instrumentId: position.instrumentId,
      settlementAsset: position.settlementAsset,
      quantity: position.quantity,
      markPrice: position.markPrice,
      equityContribution: position.equityContribution,
      initialMargin: position.initialMargin,
      maintenanceMargin: position.maintenanceMargin,
    })),
  };
}
