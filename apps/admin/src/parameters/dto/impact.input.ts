import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';

/** Accounts margined twice per call: bounds the time one impact request can take. */
export const IMPACT_ACCOUNTS_PER_PAGE_MAX = 200;

export class ImpactInput {
  @ApiPropertyOptional({ minimum: 1, maximum: IMPACT_ACCOUNTS_PER_PAGE_MAX, default: 50 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(IMPACT_ACCOUNTS_PER_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page (an account id).' })
  @IsOptional()
  @IsUUID()
  cursor?: string;
}
