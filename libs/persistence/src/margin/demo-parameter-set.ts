import { DERIBIT_STYLE_EXAMPLE_PARAMETERS, type StandardModelParameters } from '@novation/risk';
import type { EntityManager } from 'typeorm';
import { RiskParameterSetEntity } from '../entities/margin.entity.js';
import { AssetEntity, InstrumentEntity } from '../entities/reference-data.entity.js';
import { parseParameterSetBody, type ParameterSetBody } from './parameter-set-body.js';

export const DEMO_PARAMETER_SET_VERSION = 'demo-1';

/** Collateral haircuts of the demo market (illustrative, not a calibration). */
const DEMO_HAIRCUTS: Readonly<Record<string, { initialHaircut: string; maintenanceHaircut: string }>> = {
  USDC: { initialHaircut: '0', maintenanceHaircut: '0' },
  BTC: { initialHaircut: '0.1', maintenanceHaircut: '0.05' },
  ETH: { initialHaircut: '0.15', maintenanceHaircut: '0.075' },
};
/** Haircut of any other asset of the demo: heavy, so an unexpected asset is never over-valued. */
const DEFAULT_HAIRCUT = { initialHaircut: '0.5', maintenanceHaircut: '0.25' } as const;

/** Linear contracts: tiers on quote notional (USDC). */
const LINEAR_TIERS = [
  { notionalFloor: '0', notionalCap: '1000000', initialMarginFraction: '0.02', maintenanceMarginFraction: '0.01' },
  {
    notionalFloor: '1000000',
    notionalCap: '5000000',
    initialMarginFraction: '0.05',
    maintenanceMarginFraction: '0.025',
  },
  { notionalFloor: '5000000', notionalCap: null, initialMarginFraction: '0.1', maintenanceMarginFraction: '0.05' },
] as const;
/** Inverse contracts: tiers on coin notional. */
const INVERSE_TIERS = [
  { notionalFloor: '0', notionalCap: '10', initialMarginFraction: '0.02', maintenanceMarginFraction: '0.01' },
  { notionalFloor: '10', notionalCap: '100', initialMarginFraction: '0.05', maintenanceMarginFraction: '0.025' },
  { notionalFloor: '100', notionalCap: null, initialMarginFraction: '0.1', maintenanceMarginFraction: '0.05' },
] as const;

/**
 * The demo parameter set for the given reference data: tiers for every future and perpetual (keyed by the
 * instrument's row id, which is its id in margin requests), Deribit-style a/b/c per option underlying,
 * the Deribit-style scenario grid for portfolio accounts, and every asset priced through its USD index.
 */
export function demoParameterSetBody(
  assets: readonly Pick<AssetEntity, 'code' | 'scale'>[],
  instruments: readonly Pick<InstrumentEntity, 'id' | 'kind' | 'settlementType' | 'underlying'>[],
): ParameterSetBody {
  const sortedAssets = [...assets].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const sortedInstruments = [...instruments].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const tiers: Record<string, StandardModelParameters['tiers'][string]> = {};
  const options: StandardModelParameters['options'] = {};
  for (const instrument of sortedInstruments) {
    if (instrument.kind === 'option') {
      options[instrument.underlying] = {
        initialMarginBaseFraction: '0.15',
        initialMarginFloorFraction: '0.1',
        maintenanceMarginFraction: '0.075',
      };
    } else {
      const table = instrument.settlementType === 'inverse' ? INVERSE_TIERS : LINEAR_TIERS;
      tiers[instrument.id] = table.map((tier) => ({ ...tier }));
    }
  }
  const assetIndex: Record<string, string> = {};
  for (const asset of sortedAssets) if (asset.code !== 'USDC') assetIndex[asset.code] = `${asset.code}-USD`;
  return parseParameterSetBody({
    models: { cross: 'standard', isolated: 'standard', portfolio: 'portfolio-scenario' },
    parameters: {
      assets: Object.fromEntries(
        sortedAssets.map((asset) => [
          asset.code,
          { scale: asset.scale, ...(DEMO_HAIRCUTS[asset.code] ?? DEFAULT_HAIRCUT) },
        ]),
      ),
      standard: { tiers, options },
      portfolioScenario: structuredClone(DERIBIT_STYLE_EXAMPLE_PARAMETERS),
    },
    assetIndex,
    usdAssets: sortedAssets.some((asset) => asset.code === 'USDC') ? ['USDC'] : [],
    riskFreeRate: 0,
    marginCall: { deadlineMs: 24 * 3_600_000 },
  });
}

/**
 * Inserts the demo parameter set once, active from `nowEpochMs`, built from the assets and instruments in
 * the database. Idempotent: an existing row of the demo version is left as it is. Returns its version.
 */
export async function ensureDemoParameterSet(manager: EntityManager, nowEpochMs: number): Promise<string> {
  const existing = await manager.findOneBy(RiskParameterSetEntity, { version: DEMO_PARAMETER_SET_VERSION });
  if (existing !== null) return existing.version;
  const assets = await manager.find(AssetEntity, { order: { code: 'ASC' } });
  const instruments = await manager.find(InstrumentEntity, { order: { id: 'ASC' } });
  const body = demoParameterSetBody(assets, instruments);
  await manager
    .createQueryBuilder()
    .insert()
    .into(RiskParameterSetEntity)
    .values({
      version: DEMO_PARAMETER_SET_VERSION,
      status: 'active',
      body,
      effectiveFrom: new Date(nowEpochMs),
      proposedBy: 'seed:demo',
      approvedBy: 'seed:demo-approver',
    })
    .orIgnore()
    .execute();
  return DEMO_PARAMETER_SET_VERSION;
}
