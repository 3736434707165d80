import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID, Matches, MaxLength } from 'class-validator';
import { ReportPageInput } from './report-format.input.js';

export const TRAFFIC_LIGHTS = ['green', 'yellow', 'red'] as const;

export class ListBacktestsInput extends ReportPageInput {
  @ApiPropertyOptional({ example: '2026-11-24' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'businessDate must be YYYY-MM-DD' })
  businessDate?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('4')
  accountId?: string;

  @ApiPropertyOptional({ description: "An underlying such as BTC-USD, or '*' for whole-account rows." })
  @IsOptional()
  @Matches(/^(\*|[A-Za-z0-9_.-]{1,32})$/, { message: 'product must be an underlying or *' })
  @MaxLength(32)
  product?: string;

  @ApiPropertyOptional({ enum: TRAFFIC_LIGHTS })
  @IsOptional()
  @IsIn(TRAFFIC_LIGHTS)
  trafficLight?: (typeof TRAFFIC_LIGHTS)[number];
}
