import { ApiProperty } from '@nestjs/swagger';
import { INSTRUMENT_KINDS, INSTRUMENT_STATUSES } from '../dto/instrument.input.js';

export class InstrumentModel {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  symbol!: string;

  @ApiProperty({ enum: INSTRUMENT_KINDS })
  kind!: string;

  @ApiProperty({ enum: ['linear', 'inverse'] })
  settlementType!: string;

  @ApiProperty()
  underlying!: string;

  @ApiProperty()
  quoteAsset!: string;

  @ApiProperty()
  settlementAsset!: string;

  @ApiProperty({ description: 'Decimal string.' })
  contractSize!: string;

  @ApiProperty({ description: 'Decimal string.' })
  quantityStep!: string;

  @ApiProperty({ type: String, nullable: true })
  priceTick!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  strike!: string | null;

  @ApiProperty({ type: String, nullable: true, enum: ['call', 'put'] })
  optionType!: string | null;

  @ApiProperty({ type: String, nullable: true, enum: ['spot', 'future'] })
  underlyingReference!: string | null;

  @ApiProperty({ enum: INSTRUMENT_STATUSES })
  status!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  venueId!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;
}

export class InstrumentPageModel {
  @ApiProperty({ type: [InstrumentModel] })
  items!: InstrumentModel[];

  @ApiProperty()
  total!: number;

  @ApiProperty()
  limit!: number;

  @ApiProperty()
  offset!: number;
}
