import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { VERSION_PATTERN } from './create-parameter-set.input.js';

export class RollbackInput {
  @ApiProperty({ maxLength: 1_000, description: 'Why the set in effect is withdrawn (audit log).' })
  @IsString()
  @MinLength(1)
  @MaxLength(1_000)
  reason!: string;

  @ApiPropertyOptional({
    description: 'Version the caller believes is in effect; refused with ROLLBACK_CONFLICT if another is.',
  })
  @IsOptional()
  @IsString()
  @Matches(VERSION_PATTERN)
  expectedCurrentVersion?: string;
}
