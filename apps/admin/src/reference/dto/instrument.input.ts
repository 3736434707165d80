import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { PageInput } from './page.input.js';

export const INSTRUMENT_KINDS = ['spot', 'perpetual', 'future', 'option'] as const;
export const SETTLEMENT_TYPES = ['linear', 'inverse'] as const;
export const OPTION_TYPES = ['call', 'put'] as const;
export const UNDERLYING_REFERENCES = ['spot', 'future'] as const;
export const INSTRUMENT_STATUSES = ['active', 'delisted', 'expired'] as const;

export const SYMBOL_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,63}$/;
/** An index name as index_price.underlying holds it, e.g. BTC-USD. */
export const UNDERLYING_PATTERN = /^[A-Z0-9]{1,15}-[A-Z0-9]{1,15}$/;
export const ASSET_CODE_PATTERN = /^[A-Z0-9]{2,16}$/;
/** A plain decimal string (sign and range are checked by the service, with the asset's scale). */
export const DECIMAL_PATTERN = /^\d{1,20}(\.\d{1,18})?$/;

export class ListInstrumentsInput extends PageInput {
  @ApiPropertyOptional({ example: 'BTC-USD' })
  @IsOptional()
  @Matches(UNDERLYING_PATTERN)
  underlying?: string;

  @ApiPropertyOptional({ enum: INSTRUMENT_KINDS })
  @IsOptional()
  @IsIn(INSTRUMENT_KINDS)
  kind?: (typeof INSTRUMENT_KINDS)[number];

  @ApiPropertyOptional({ enum: INSTRUMENT_STATUSES })
  @IsOptional()
  @IsIn(INSTRUMENT_STATUSES)
  status?: (typeof INSTRUMENT_STATUSES)[number];
}

/** A new instrument; which optional fields are required depends on `kind` (checked by the service). */
export class CreateInstrumentInput {
  @ApiProperty({ example: 'SOL-PERP' })
  @Matches(SYMBOL_PATTERN)
  symbol!: string;

  @ApiProperty({ enum: INSTRUMENT_KINDS })
  @IsIn(INSTRUMENT_KINDS)
  kind!: (typeof INSTRUMENT_KINDS)[number];

  @ApiProperty({ enum: SETTLEMENT_TYPES })
  @IsIn(SETTLEMENT_TYPES)
  settlementType!: (typeof SETTLEMENT_TYPES)[number];

  @ApiProperty({ example: 'SOL-USD' })
  @Matches(UNDERLYING_PATTERN)
  underlying!: string;

  @ApiProperty({ example: 'USDC' })
  @Matches(ASSET_CODE_PATTERN)
  quoteAsset!: string;

  @ApiProperty({ example: 'USDC' })
  @Matches(ASSET_CODE_PATTERN)
  settlementAsset!: string;

  @ApiProperty({ example: '1', description: 'Decimal string > 0.' })
  @Matches(DECIMAL_PATTERN)
  contractSize!: string;

  @ApiPropertyOptional({ example: '0.001', description: 'Lot size, decimal string > 0 (default 1).' })
  @IsOptional()
  @Matches(DECIMAL_PATTERN)
  quantityStep?: string;

  @ApiPropertyOptional({ example: '0.01', description: 'Price tick, decimal string > 0.' })
  @IsOptional()
  @Matches(DECIMAL_PATTERN)
  priceTick?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Required for futures and options, refused otherwise.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;

  @ApiPropertyOptional({ example: '100000', description: 'Options only.' })
  @IsOptional()
  @Matches(DECIMAL_PATTERN)
  strike?: string;

  @ApiPropertyOptional({ enum: OPTION_TYPES, description: 'Options only.' })
  @IsOptional()
  @IsIn(OPTION_TYPES)
  optionType?: (typeof OPTION_TYPES)[number];

  @ApiPropertyOptional({ enum: UNDERLYING_REFERENCES, description: 'Options only (default spot).' })
  @IsOptional()
  @IsIn(UNDERLYING_REFERENCES)
  underlyingReference?: (typeof UNDERLYING_REFERENCES)[number];

  @ApiPropertyOptional({ format: 'uuid', description: 'The venue whose trades and marks it takes.' })
  @IsOptional()
  @IsUUID()
  venueId?: string;
}

export class ChangeInstrumentStatusInput {
  @ApiProperty({ enum: INSTRUMENT_STATUSES, description: 'delist, relist (active) or expire.' })
  @IsIn(INSTRUMENT_STATUSES)
  status!: (typeof INSTRUMENT_STATUSES)[number];

  @ApiProperty({ description: 'Why; recorded in the audit log.' })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  reason!: string;
}
