import { ApiProperty } from '@nestjs/swagger';

export class AssetModel {
  @ApiProperty()
  code!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ description: 'Decimal places (precision).' })
  scale!: number;

  @ApiProperty({ type: String, nullable: true })
  priceIndex!: string | null;

  @ApiProperty({ type: String, nullable: true })
  priceSource!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;
}

export class AssetPageModel {
  @ApiProperty({ type: [AssetModel] })
  items!: AssetModel[];

  @ApiProperty()
  total!: number;

  @ApiProperty()
  limit!: number;

  @ApiProperty()
  offset!: number;
}
