import { positionValue } from '@novation/instruments';
import { Decimal, ZERO } from '@novation/money';
import type { MarginTier } from '../standard/margin-tier.js';
import { standardOptionMargin } from '../standard/option-margin.js';
import { tieredMarginRequirement } from '../standard/tiered-margin.js';
import type { MarginContext, ResolvedPosition } from './margin-context.js';
import { assetScale, settlementAssetsOf, underlyingPriceOf } from './margin-context.js';
import { MarginError } from './margin-error.js';
import type { StandardModelParameters } from './margin-request-schema.js';
import type { ModelGroupMargin, ModelPositionDetail } from './model-outcome.js';

/**
 * Standard margin: every position margined on its own and the requirements added (no offsets).
 * - futures, perpetuals and spot: the instrument's notional tier table (tiered-margin.ts), on the
 *   position value at mark: quote notional for linear contracts, coin notional for inverse ones;
 * - options: Deribit-style standard option margin (option-margin.ts) with the underlying's a, b, c.
 * Each requirement is rounded up to its settlement asset's scale by the functions it calls.
 */
export function standardModelMargin(context: MarginContext, parameters: StandardModelParameters): ModelGroupMargin[] {
  return settlementAssetsOf(context.positions).map((settlementAsset) => {
    const scale = assetScale(context, settlementAsset);
    const positions = context.positions.filter((position) => position.instrument.settlementAsset === settlementAsset);
    const details = positions.map((position) => positionRequirement(context, parameters, position, scale));
    const futures = sumOf(details.filter((_, index) => positions[index]?.instrument.kind !== 'european_option'));
    const options = sumOf(details.filter((_, index) => positions[index]?.instrument.kind === 'european_option'));
    return {
      settlementAsset,
      initialMargin: futures.initialMargin.plus(options.initialMargin),
      maintenanceMargin: futures.maintenanceMargin.plus(options.maintenanceMargin),
      components: [
        { name: 'tiered_futures', ...futures },
        { name: 'standard_options', ...options },
      ],
      positions: details,
    };
  });
}

function positionRequirement(
  context: MarginContext,
  parameters: StandardModelParameters,
  position: ResolvedPosition,
  scale: number,
): ModelPositionDetail {
  const { instrument } = position;
  if (instrument.kind === 'european_option') {
    const optionParameters = parameters.options[instrument.underlying];
    if (optionParameters === undefined) {
      throw new MarginError(
        'MISSING_PARAMETERS',
        `no standard option parameters for underlying ${instrument.underlying}`,
        `parameters.standard.options.${instrument.underlying}`,
      );
    }
    const requirement = standardOptionMargin({
      optionType: instrument.optionType,
      settlement: instrument.settlement,
      quantity: position.quantity.times(instrument.contractSize),
      strikePrice: instrument.strikePrice,
      underlyingPrice: underlyingPriceOf(context, instrument.underlying),
      optionMarkPrice: position.markPrice,
      parameters: {
        initialMarginBaseFraction: new Decimal(optionParameters.initialMarginBaseFraction),
        initialMarginFloorFraction: new Decimal(optionParameters.initialMarginFloorFraction),
        maintenanceMarginFraction: new Decimal(optionParameters.maintenanceMarginFraction),
      },
      scale,
    });
    return { instrumentId: instrument.id, ...requirement };
  }
  const tiers = parameters.tiers[instrument.id];
  if (tiers === undefined) {
    throw new MarginError(
      'MISSING_PARAMETERS',
      `no tier table for ${instrument.id}`,
      `parameters.standard.tiers.${instrument.id}`,
    );
  }
  const requirement = tieredMarginRequirement({
    notional: positionValue(instrument, position.quantity, position.markPrice).abs(),
    tiers: tiers.map(toMarginTier),
    openInterestScaling: null,
    openInterestNotional: null,
    scale,
  });
  return {
    instrumentId: instrument.id,
    initialMargin: requirement.initialMargin,
    maintenanceMargin: requirement.maintenanceMargin,
  };
}

function toMarginTier(tier: StandardModelParameters['tiers'][string][number]): MarginTier {
  return {
    notionalFloor: new Decimal(tier.notionalFloor),
    notionalCap: tier.notionalCap === null ? null : new Decimal(tier.notionalCap),
    initialMarginFraction: new Decimal(tier.initialMarginFraction),
    maintenanceMarginFraction: new Decimal(tier.maintenanceMarginFraction),
  };
}

function sumOf(details: readonly ModelPositionDetail[]): { initialMargin: Decimal; maintenanceMargin: Decimal } {
  return details.reduce(
    (sum, detail) => ({
      initialMargin: sum.initialMargin.plus(detail.initialMargin ?? ZERO),
      maintenanceMargin: sum.maintenanceMargin.plus(detail.maintenanceMargin ?? ZERO),
    }),
    { initialMargin: ZERO, maintenanceMargin: ZERO },
  );
}
