import { Module } from '@nestjs/common';
import { CollateralResolver } from './collateral.resolver.js';
import { CollateralService } from './collateral.service.js';

@Module({ providers: [CollateralService, CollateralResolver] })
export class CollateralModule {}
