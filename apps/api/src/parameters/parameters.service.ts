import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Decimal } from '@novation/money';
import { MarginServiceError, activeParameterSet } from '@novation/persistence';
import { DataSource } from 'typeorm';
import type { RiskParameterSet } from './models/risk-parameter-set.model.js';

/**
 * The risk parameter set in force, read-only. Only sets approved or active and already effective are ever
 * read (activeParameterSet): drafts, proposals, rejected and future sets are not visible here.
 */
@Injectable()
export class ParametersService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Null when no set is in force; a stored body that fails validation is a server fault (INTERNAL). */
  async activeRiskParameters(nowEpochMs: number): Promise<RiskParameterSet | null> {
    try {
      const set = await activeParameterSet(this.dataSource.manager, nowEpochMs);
      const { models, parameters, assetIndex, usdAssets, riskFreeRate, marginCall, liquidation } = set.body;
      const { assets, ...modelParameters } = parameters;
      return {
        id: set.id,
        version: set.version,
        effectiveFrom: set.effectiveFrom,
        models,
        assets: Object.entries(assets)
          .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
          .map(([asset, values]) => ({
            asset,
            scale: values.scale,
            initialHaircut: new Decimal(values.initialHaircut),
            maintenanceHaircut: new Decimal(values.maintenanceHaircut),
            usdIndex: assetIndex[asset] ?? null,
          })),
        usdAssets: [...usdAssets],
        riskFreeRate,
        marginCallDeadlineMs: marginCall.deadlineMs,
        liquidation: {
          penaltyFraction: new Decimal(liquidation.penaltyFraction),
          maxSliceFraction: new Decimal(liquidation.maxSliceFraction),
          coolDownMs: liquidation.coolDownMs,
          deficitMode: liquidation.deficitMode,
          conversionPriceAgeMsMax: liquidation.conversionPriceAgeMsMax,
        },
        modelParameters,
      };
    } catch (error) {
      if (error instanceof MarginServiceError && error.code === 'NO_ACTIVE_PARAMETER_SET') return null;
      throw error;
    }
  }
}
