import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { ASSET_CODE_PATTERN } from './instrument.input.js';
import { PageInput } from './page.input.js';

export const MEMBER_FIRM_STATUSES = ['active', 'suspended', 'defaulted'] as const;
export const MEMBER_ACCOUNT_KINDS = ['cross', 'isolated', 'portfolio'] as const;
export const MEMBER_FIRM_CODE_PATTERN = /^[A-Z0-9_-]{2,32}$/;
export const ACCOUNT_CODE_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export class ListMemberFirmsInput extends PageInput {
  @ApiPropertyOptional({ enum: MEMBER_FIRM_STATUSES })
  @IsOptional()
  @IsIn(MEMBER_FIRM_STATUSES)
  status?: (typeof MEMBER_FIRM_STATUSES)[number];
}

export class OnboardMemberFirmInput {
  @ApiProperty({ example: 'DELTA', description: '2 to 32 capitals, digits, _ or -.' })
  @Matches(MEMBER_FIRM_CODE_PATTERN)
  code!: string;

  @ApiProperty({ example: 'Delta Derivatives AG' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;
}

export class OpenAccountInput {
  @ApiProperty({ example: 'main', description: 'Unique within the firm: lower case, digits, _ . -.' })
  @Matches(ACCOUNT_CODE_PATTERN)
  code!: string;

  @ApiProperty({ enum: MEMBER_ACCOUNT_KINDS })
  @IsIn(MEMBER_ACCOUNT_KINDS)
  kind!: (typeof MEMBER_ACCOUNT_KINDS)[number];

  @ApiProperty({ example: 'USDC' })
  @Matches(ASSET_CODE_PATTERN)
  settlementAsset!: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The one market of an isolated account (required for it).' })
  @IsOptional()
  @IsUUID()
  isolatedInstrumentId?: string;
}

export class MemberFirmDecisionInput {
  @ApiProperty({ description: 'Why; recorded in the audit log.' })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  reason!: string;
}
