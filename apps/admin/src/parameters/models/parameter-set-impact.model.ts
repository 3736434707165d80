import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class MarginPairModel {
  @ApiProperty({ example: '4000' })
  initialMargin!: string;

  @ApiProperty({ example: '2000' })
  maintenanceMargin!: string;
}

export class ImpactErrorModel {
  @ApiProperty({ example: 'MISSING_MARKET_DATA' })
  code!: string;

  @ApiProperty()
  message!: string;
}

export class AccountImpactModel {
  @ApiProperty({ format: 'uuid' })
  accountId!: string;

  @ApiProperty()
  accountCode!: string;

  @ApiProperty({ format: 'uuid' })
  memberFirmId!: string;

  @ApiProperty()
  memberFirmCode!: string;

  @ApiProperty({ enum: ['cross', 'isolated', 'portfolio'] })
  kind!: string;

  @ApiProperty({ description: 'Asset IM and MM are expressed in.' })
  marginAsset!: string;

  @ApiPropertyOptional({ type: MarginPairModel, description: 'Under the set in effect.' })
  current?: MarginPairModel;

  @ApiPropertyOptional({ type: MarginPairModel, description: 'Under this set.' })
  proposed?: MarginPairModel;

  @ApiPropertyOptional({ example: '2000' })
  initialMarginChange?: string;

  @ApiPropertyOptional({ example: '1000' })
  maintenanceMarginChange?: string;

  @ApiPropertyOptional({ type: ImpactErrorModel, description: 'Why this account could not be margined.' })
  error?: ImpactErrorModel;
}

export class MemberFirmImpactModel {
  @ApiProperty({ format: 'uuid' })
  memberFirmId!: string;

  @ApiProperty()
  memberFirmCode!: string;

  @ApiProperty({ description: 'Totals are per margin asset: amounts in different assets are never added.' })
  marginAsset!: string;

  @ApiProperty({ type: MarginPairModel })
  current!: MarginPairModel;

  @ApiProperty({ type: MarginPairModel })
  proposed!: MarginPairModel;

  @ApiProperty()
  initialMarginChange!: string;

  @ApiProperty()
  maintenanceMarginChange!: string;

  @ApiProperty({ description: 'Accounts of this page that were margined.' })
  accounts!: number;
}

export class ParameterSetImpactModel {
  @ApiProperty()
  version!: string;

  @ApiProperty()
  activeVersion!: string;

  @ApiProperty({ description: 'Valuation time of both computations (epoch ms).' })
  valuationEpochMs!: number;

  @ApiProperty({ type: [AccountImpactModel], description: 'Largest absolute IM change first.' })
  accounts!: AccountImpactModel[];

  @ApiProperty({ type: [MemberFirmImpactModel], description: 'This page aggregated per firm, largest change first.' })
  memberFirms!: MemberFirmImpactModel[];

  @ApiProperty({ type: String, nullable: true, description: 'Cursor of the next page; null on the last.' })
  nextCursor!: string | null;
}
