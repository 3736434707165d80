import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  BACKTEST_CONFIDENCE_DEFAULT,
  BACKTEST_CONFIDENCE_MAX,
  BACKTEST_CONFIDENCE_MIN,
  BACKTEST_LOOKBACK_DAYS_DEFAULT,
  BACKTEST_LOOKBACK_DAYS_MAX,
} from '@novation/persistence';
import { IsBoolean, IsInt, IsNumber, IsOptional, Matches, Max, Min } from 'class-validator';

export { BACKTEST_CONFIDENCE_DEFAULT, BACKTEST_LOOKBACK_DAYS_DEFAULT };

export class RunBacktestInput {
  @ApiProperty({ example: '2026-11-24', description: 'The last day whose realised loss is used; must have ended.' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'businessDate must be YYYY-MM-DD' })
  businessDate!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: BACKTEST_LOOKBACK_DAYS_MAX, default: BACKTEST_LOOKBACK_DAYS_DEFAULT })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(BACKTEST_LOOKBACK_DAYS_MAX)
  lookbackDays?: number;

  @ApiPropertyOptional({
    minimum: BACKTEST_CONFIDENCE_MIN,
    maximum: BACKTEST_CONFIDENCE_MAX,
    default: BACKTEST_CONFIDENCE_DEFAULT,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(BACKTEST_CONFIDENCE_MIN)
  @Max(BACKTEST_CONFIDENCE_MAX)
  confidence?: number;

  @ApiPropertyOptional({
    default: false,
    description: 'Overwrite stored reports whose inputs changed (each replacement is audited); otherwise kept.',
  })
  @IsOptional()
  @IsBoolean()
  replace?: boolean;
}
