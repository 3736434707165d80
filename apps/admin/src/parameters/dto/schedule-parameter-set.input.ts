import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PHASE_IN_DAYS_MAX, PHASE_IN_DAYS_MIN } from '@novation/persistence';
import { IsISO8601, IsInt, IsOptional, Max, Min } from 'class-validator';

export class ScheduleParameterSetInput {
  @ApiProperty({
    example: '2026-12-01T00:00:00Z',
    description: 'When the set takes effect (ISO 8601, not in the past, at most a year ahead).',
  })
  @IsISO8601({ strict: true })
  effectiveFrom!: string;

  @ApiPropertyOptional({
    minimum: PHASE_IN_DAYS_MIN,
    maximum: PHASE_IN_DAYS_MAX,
    description:
      'Phase the set in linearly over this many days from effectiveFrom, from the set in force just before ' +
      'it: every decimal value moves from the old to the new one in hourly steps; integers switch at the end. ' +
      'Both sets must have the same structure (PHASE_IN_STRUCTURE_MISMATCH lists every difference).',
  })
  @IsOptional()
  @IsInt()
  @Min(PHASE_IN_DAYS_MIN)
  @Max(PHASE_IN_DAYS_MAX)
  phaseInDays?: number;
}
