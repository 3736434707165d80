import { ApiProperty } from '@nestjs/swagger';

export class AssetBalanceModel {
  @ApiProperty()
  asset!: string;

  @ApiProperty({ description: 'Decimal string, the sum of the postings.' })
  balance!: string;
}

export class FundModel {
  @ApiProperty({ format: 'uuid', description: 'The house account holding the fund.' })
  accountId!: string;

  @ApiProperty({ type: [AssetBalanceModel] })
  balances!: AssetBalanceModel[];
}

export class DefaultResourcesModel {
  @ApiProperty({ type: FundModel })
  insuranceFund!: FundModel;

  @ApiProperty({ type: FundModel })
  defaultFund!: FundModel;

  @ApiProperty({ type: FundModel, description: "The clearinghouse's own capital (skin in the game)." })
  ccpCapital!: FundModel;
}

export class MemberContributionModel {
  @ApiProperty()
  asset!: string;

  @ApiProperty({ description: 'Decimal string; 0 when no requirement is set.' })
  requiredAmount!: string;

  @ApiProperty({ description: "Decimal string: the member's tagged postings on the default fund." })
  contributedAmount!: string;

  @ApiProperty({ description: 'max(0, required - contributed).' })
  shortfall!: string;
}

export class MemberDefaultFundModel {
  @ApiProperty({ format: 'uuid' })
  memberFirmId!: string;

  @ApiProperty()
  memberFirmCode!: string;

  @ApiProperty()
  memberFirmStatus!: string;

  @ApiProperty({ type: [MemberContributionModel] })
  assets!: MemberContributionModel[];
}

export class MemberDefaultFundPageModel {
  @ApiProperty({ type: [MemberDefaultFundModel] })
  items!: MemberDefaultFundModel[];

  @ApiProperty()
  total!: number;

  @ApiProperty()
  limit!: number;

  @ApiProperty()
  offset!: number;
}

export class DefaultFundRequirementModel {
  @ApiProperty({ format: 'uuid' })
  memberFirmId!: string;

  @ApiProperty()
  asset!: string;

  @ApiProperty({ description: 'Decimal string.' })
  requiredAmount!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: string;
}

/** The ledger entry a top-up or contribution made; a replay with the same key and body returns it again. */
export class FundMovementModel {
  @ApiProperty()
  idempotencyKey!: string;

  @ApiProperty({ description: 'journal_entry id.' })
  journalEntryId!: string;

  @ApiProperty({ description: 'True when this key had already been applied: nothing moved this time.' })
  replayed!: boolean;

  @ApiProperty()
  asset!: string;

  @ApiProperty({ description: 'Decimal string, normalised.' })
  amount!: string;

  @ApiProperty({ enum: ['custody', 'ccp_capital'] })
  source!: string;

  @ApiProperty({ enum: ['insurance_fund', 'default_fund'] })
  destination!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  memberFirmId!: string | null;
}
