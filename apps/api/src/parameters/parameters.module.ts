import { Module } from '@nestjs/common';
import { ParametersResolver } from './parameters.resolver.js';
import { ParametersService } from './parameters.service.js';

@Module({ providers: [ParametersService, ParametersResolver] })
export class ParametersModule {}
