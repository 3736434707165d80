import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';

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

  @ApiPropertyOptional({
    example: '2026-12-02T00:00:00Z',
    description:
      'Preview the set as it is in force at this instant: during its phase-in, the interpolated values ' +
      '(version `<version>@phase-<w>`); otherwise its own. Valuation (market data, positions) is always now.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  at?: string;
}
