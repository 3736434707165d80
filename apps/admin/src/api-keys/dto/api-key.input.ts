import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { PageInput } from '../../reference/dto/page.input.js';

/** Roles the admin service issues keys for; admin keys do not exist for the admin service (it takes JWTs). */
export const ISSUABLE_API_KEY_ROLES = ['member', 'venue', 'custody'] as const;
export const API_KEY_STATES = ['active', 'revoked', 'expired'] as const;

export class ListApiKeysInput extends PageInput {
  @ApiPropertyOptional({ enum: ['member', 'venue', 'custody', 'admin'] })
  @IsOptional()
  @IsIn(['member', 'venue', 'custody', 'admin'])
  role?: 'member' | 'venue' | 'custody' | 'admin';

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  memberFirmId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  venueId?: string;

  @ApiPropertyOptional({ enum: API_KEY_STATES })
  @IsOptional()
  @IsIn(API_KEY_STATES)
  state?: (typeof API_KEY_STATES)[number];
}

export class IssueApiKeyInput {
  @ApiProperty({ enum: ISSUABLE_API_KEY_ROLES })
  @IsIn(ISSUABLE_API_KEY_ROLES)
  role!: (typeof ISSUABLE_API_KEY_ROLES)[number];

  @ApiPropertyOptional({ format: 'uuid', description: 'Required exactly for role member.' })
  @IsOptional()
  @IsUUID()
  memberFirmId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Required exactly for role venue.' })
  @IsOptional()
  @IsUUID()
  venueId?: string;

  @ApiProperty({ example: 'desk 1' })
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  label!: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'In the future; no expiry when absent.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}

export class ApiKeyDecisionInput {
  @ApiPropertyOptional({ description: 'Why; recorded in the audit log.' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
