import type { Decimal } from '@novation/money';

/** A named part of a group's requirement (e.g. 'scan_loss', 'short_option_charge', 'tiered_futures'). */
export interface ModelComponent {
  readonly name: string;
  readonly initialMargin: Decimal;
  readonly maintenanceMargin: Decimal;
}

/** Per-position detail a model reports; which fields are set depends on the model. */
export interface ModelPositionDetail {
  readonly instrumentId: string;
  /** Standard model: the position's own requirement, in its settlement asset. */
  readonly initialMargin?: Decimal;
  readonly maintenanceMargin?: Decimal;
  /** Scenario and ES models: weighted loss of the position in its group's binding scenario. */
  readonly lossInBindingScenario?: number;
  /** Scenario and ES models: the position's own risk held alone (scan loss or ES). */
  readonly standaloneLoss?: number;
  /** ES model: the position's share of the expected shortfall (the shares sum to it). */
  readonly contributionToRiskMeasure?: number;
  /** ES model: liquidity and concentration add-on of the position. */
  readonly liquidityAddOn?: number;
}

export interface ScenarioDetail {
  readonly bindingScenario: { readonly index: number; readonly description: string } | null;
  /** Loss per scenario (weighted where the model weights), profit negative, in the settlement asset. */
  readonly scenarioLosses: readonly number[];
  /** ES model: indexes of the tail scenarios averaged into the expected shortfall, worst first. */
  readonly tailScenarioIndexes?: readonly number[];
}

/** The requirement of the positions that settle in one asset, in that asset. */
export interface ModelGroupMargin {
  readonly settlementAsset: string;
  /** Rounded up to the asset's scale. */
  readonly initialMargin: Decimal;
  readonly maintenanceMargin: Decimal;
  readonly components: readonly ModelComponent[];
  readonly positions: readonly ModelPositionDetail[];
  readonly scenario?: ScenarioDetail;
}
