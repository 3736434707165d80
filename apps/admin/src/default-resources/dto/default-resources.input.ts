import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsUUID, Matches } from 'class-validator';
import { ASSET_CODE_PATTERN, DECIMAL_PATTERN } from '../../reference/dto/instrument.input.js';

/** Client-chosen, unique per money movement; a retry sends the same key with the same body. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,128}$/;
export const INSURANCE_FUND_SOURCES = ['custody', 'ccp_capital'] as const;

export class InsuranceFundTopUpInput {
  @ApiProperty({ example: 'if-topup-2026-11-26-001', description: '8 to 128 of A-Z a-z 0-9 _ . : -' })
  @Matches(IDEMPOTENCY_KEY_PATTERN)
  idempotencyKey!: string;

  @ApiProperty({ example: 'USDC' })
  @Matches(ASSET_CODE_PATTERN)
  asset!: string;

  @ApiProperty({ example: '250000.5', description: "Decimal string > 0, at most the asset's scale in decimals." })
  @Matches(DECIMAL_PATTERN)
  amount!: string;

  @ApiProperty({
    enum: INSURANCE_FUND_SOURCES,
    description: "custody: fresh money from outside; ccp_capital: the clearinghouse's own capital (its balance).",
  })
  @IsIn(INSURANCE_FUND_SOURCES)
  source!: (typeof INSURANCE_FUND_SOURCES)[number];
}

export class DefaultFundContributionInput {
  @ApiProperty({ example: 'df-alpha-2026-11-001', description: '8 to 128 of A-Z a-z 0-9 _ . : -' })
  @Matches(IDEMPOTENCY_KEY_PATTERN)
  idempotencyKey!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  memberFirmId!: string;

  @ApiProperty({ example: 'USDC' })
  @Matches(ASSET_CODE_PATTERN)
  asset!: string;

  @ApiProperty({ example: '100000', description: "Decimal string > 0, at most the asset's scale in decimals." })
  @Matches(DECIMAL_PATTERN)
  amount!: string;
}

export class SetDefaultFundRequirementInput {
  @ApiProperty({ example: 'USDC' })
  @Matches(ASSET_CODE_PATTERN)
  asset!: string;

  @ApiProperty({ example: '100000', description: "Decimal string >= 0, at most the asset's scale in decimals." })
  @Matches(DECIMAL_PATTERN)
  requiredAmount!: string;
}
