import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export const VERSION_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export class CreateParameterSetInput {
  @ApiProperty({ example: '2026-12-a', description: 'Unique version name (letters, digits, _ . : -; at most 64).' })
  @IsString()
  @Matches(VERSION_PATTERN)
  version!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'The parameter set: {models, parameters, assetIndex, usdAssets, riskFreeRate, marginCall}; checked against ' +
      'the schema and the hard bounds, every violation reported.',
  })
  @IsObject()
  body!: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Version this draft was derived from (recorded in the audit log).' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  basedOn?: string;
}
