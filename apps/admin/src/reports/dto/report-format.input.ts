import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import type { ReportFormat } from '../report-csv.js';

export const REPORT_PAGE_SIZE_MAX = 100;
export const REPORT_PAGE_SIZE_DEFAULT = 20;
export const REPORT_OFFSET_MAX = 1_000_000;

/** Offset pagination and the output format shared by every report list. */
export class ReportPageInput {
  @ApiPropertyOptional({ minimum: 1, maximum: REPORT_PAGE_SIZE_MAX, default: REPORT_PAGE_SIZE_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(REPORT_PAGE_SIZE_MAX)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: REPORT_OFFSET_MAX, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(REPORT_OFFSET_MAX)
  offset?: number;

  @ApiPropertyOptional({
    enum: ['json', 'csv'],
    description: 'csv (or Accept: text/csv) downloads up to 10,000 rows from offset; limit applies to json.',
  })
  @IsOptional()
  @IsIn(['json', 'csv'])
  format?: ReportFormat;
}

/** Only the format: for a single report. */
export class ReportFormatInput {
  @ApiPropertyOptional({ enum: ['json', 'csv'] })
  @IsOptional()
  @IsIn(['json', 'csv'])
  format?: ReportFormat;
}
