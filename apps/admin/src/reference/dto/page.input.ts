import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const PAGE_SIZE_DEFAULT = 20;
export const PAGE_SIZE_MAX = 100;
/** Deep offsets are refused: a list this long is read with filters, not paged through. */
export const PAGE_OFFSET_MAX = 100_000;

/** Offset pagination, shared by every reference-data list. */
export class PageInput {
  @ApiPropertyOptional({ minimum: 1, maximum: PAGE_SIZE_MAX, default: PAGE_SIZE_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(PAGE_SIZE_MAX)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: PAGE_OFFSET_MAX, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(PAGE_OFFSET_MAX)
  offset?: number;
}

export interface Page {
  readonly limit: number;
  readonly offset: number;
}

export function pageOf(input: PageInput): Page {
  return { limit: input.limit ?? PAGE_SIZE_DEFAULT, offset: input.offset ?? 0 };
}
