import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { ASSET_CODE_PATTERN, UNDERLYING_PATTERN } from './instrument.input.js';

/** A feed name as index_price.source holds it. */
export const PRICE_SOURCE_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export class CreateAssetInput {
  @ApiProperty({ example: 'SOL', description: '2 to 16 capitals or digits.' })
  @Matches(ASSET_CODE_PATTERN)
  code!: string;

  @ApiProperty({ example: 'Solana' })
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  name!: string;

  @ApiProperty({ minimum: 0, maximum: 18, description: 'Decimal places the asset settles in (precision).' })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(18)
  scale!: number;

  @ApiPropertyOptional({ example: 'SOL-USD', description: 'Index that values the asset (with priceSource).' })
  @IsOptional()
  @Matches(UNDERLYING_PATTERN)
  priceIndex?: string;

  @ApiPropertyOptional({ example: 'demo-feed', description: 'Feed expected to publish the index.' })
  @IsOptional()
  @Matches(PRICE_SOURCE_PATTERN)
  priceSource?: string;
}

/** Both set, or both null to clear the source. */
export class SetPriceSourceInput {
  @ApiProperty({ type: String, nullable: true, example: 'SOL-USD' })
  @ValidateIf((_object, value) => value !== null)
  @Matches(UNDERLYING_PATTERN)
  priceIndex!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'demo-feed' })
  @ValidateIf((_object, value) => value !== null)
  @Matches(PRICE_SOURCE_PATTERN)
  priceSource!: string | null;
}
