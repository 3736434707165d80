import { ApiProperty } from '@nestjs/swagger';
import { IsISO8601 } from 'class-validator';

export class ScheduleParameterSetInput {
  @ApiProperty({
    example: '2026-12-01T00:00:00Z',
    description: 'When the set takes effect (ISO 8601, not in the past, at most a year ahead).',
  })
  @IsISO8601({ strict: true })
  effectiveFrom!: string;
}
