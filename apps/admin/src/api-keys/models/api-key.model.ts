import { ApiProperty } from '@nestjs/swagger';

/** A key as listed: never its secret nor the secret's hash. */
export class ApiKeyModel {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'Public part of the key (nov_<prefix>_...), enough to recognise it.' })
  prefix!: string;

  @ApiProperty({ enum: ['member', 'venue', 'custody', 'admin'] })
  role!: string;

  @ApiProperty()
  label!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  memberFirmId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  venueId!: string | null;

  @ApiProperty({ enum: ['active', 'revoked', 'expired'] })
  state!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastUsedAt!: string | null;
}

/** A newly issued key: `key` is shown this once and never stored. */
export class IssuedApiKeyModel extends ApiKeyModel {
  @ApiProperty({ description: 'nov_<prefix>_<secret>; store it now, it cannot be shown again.' })
  key!: string;
}

export class RotatedApiKeyModel extends IssuedApiKeyModel {
  @ApiProperty({ format: 'uuid', description: 'The key this one replaces, revoked in the same transaction.' })
  replacesKeyId!: string;
}

export class ApiKeyPageModel {
  @ApiProperty({ type: [ApiKeyModel] })
  items!: ApiKeyModel[];

  @ApiProperty()
  total!: number;

  @ApiProperty()
  limit!: number;

  @ApiProperty()
  offset!: number;
}
