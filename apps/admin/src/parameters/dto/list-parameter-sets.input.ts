import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

export const PARAMETER_SET_PAGE_SIZE_MAX = 100;
export const PARAMETER_SET_STATUSES = ['draft', 'proposed', 'approved', 'rejected', 'active', 'superseded'] as const;

export class ListParameterSetsInput {
  @ApiPropertyOptional({ minimum: 1, maximum: PARAMETER_SET_PAGE_SIZE_MAX, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(PARAMETER_SET_PAGE_SIZE_MAX)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1_000_000, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  offset?: number;

  @ApiPropertyOptional({ enum: PARAMETER_SET_STATUSES })
  @IsOptional()
  @IsIn(PARAMETER_SET_STATUSES)
  status?: (typeof PARAMETER_SET_STATUSES)[number];
}
