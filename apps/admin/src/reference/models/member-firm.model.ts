import { ApiProperty } from '@nestjs/swagger';
import { MEMBER_ACCOUNT_KINDS, MEMBER_FIRM_STATUSES } from '../dto/member-firm.input.js';

export class MemberFirmModel {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  code!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: MEMBER_FIRM_STATUSES })
  status!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;
}

export class MemberFirmPageModel {
  @ApiProperty({ type: [MemberFirmModel] })
  items!: MemberFirmModel[];

  @ApiProperty()
  total!: number;

  @ApiProperty()
  limit!: number;

  @ApiProperty()
  offset!: number;
}

export class AccountModel {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  memberFirmId!: string;

  @ApiProperty()
  code!: string;

  @ApiProperty({ enum: MEMBER_ACCOUNT_KINDS })
  kind!: string;

  @ApiProperty()
  settlementAsset!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  isolatedInstrumentId!: string | null;

  @ApiProperty({ enum: ['active', 'frozen', 'closed'] })
  status!: string;

  @ApiProperty({ enum: ['healthy', 'margin_call', 'liquidating'] })
  marginState!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;
}

export class AccountPageModel {
  @ApiProperty({ type: [AccountModel] })
  items!: AccountModel[];

  @ApiProperty()
  total!: number;

  @ApiProperty()
  limit!: number;

  @ApiProperty()
  offset!: number;
}

/** A firm after a status change, with the accounts the change froze or thawed. */
export class MemberFirmStatusChangeModel {
  @ApiProperty({ type: MemberFirmModel })
  memberFirm!: MemberFirmModel;

  @ApiProperty({ type: [String], description: 'Accounts whose status changed (active <-> frozen).' })
  accountIds!: string[];
}
