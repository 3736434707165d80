import { Field, ID, InputType } from '@nestjs/graphql';
import type { Decimal } from '@novation/money';
import { Exclude } from 'class-transformer';
import { IsString, Matches, MaxLength } from 'class-validator';
import { DecimalScalar } from '../../common/scalars/decimal.scalar.js';

/**
 * 1..128 of [A-Za-z0-9_.:-]. A retry with the same key and payload returns the original outcome; the same
 * key with another payload is IDEMPOTENCY_KEY_REUSED. Keys are scoped to the caller (member firm or
 * custody), so two firms can never collide on, or learn about, each other's keys.
 */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
const IDEMPOTENCY_KEY_DESCRIPTION =
  '1..128 of [A-Za-z0-9_.:-]; a retry with the same key returns the original outcome.';
const IDEMPOTENCY_KEY_MESSAGE = 'idempotencyKey must be 1..128 of [A-Za-z0-9_.:-]';

// Members' inputs carry only what a member decides: accounts, asset, amount, key. No owner, rate or flag.

@InputType({ description: 'Collateral received in custody for a member account.' })
export class RecordDepositInput {
  @Field(() => ID)
  @IsString()
  @MaxLength(64)
  accountId!: string;

  @Field(() => String, { description: 'Asset code, such as USDC.' })
  @IsString()
  @MaxLength(16)
  asset!: string;

  // Passed through as parsed: class-transformer cannot construct a Decimal (only the copy it validates is affected).
  @Exclude({ toClassOnly: true })
  @Field(() => DecimalScalar, { description: '> 0, at most the asset scale in decimals.' })
  amount!: Decimal;

  @Field(() => String, { description: IDEMPOTENCY_KEY_DESCRIPTION })
  @Matches(IDEMPOTENCY_KEY_PATTERN, { message: IDEMPOTENCY_KEY_MESSAGE })
  idempotencyKey!: string;
}

@InputType({ description: "A withdrawal from one of the caller's accounts." })
export class RequestWithdrawalInput {
  @Field(() => ID)
  @IsString()
  @MaxLength(64)
  accountId!: string;

  @Field(() => String)
  @IsString()
  @MaxLength(16)
  asset!: string;

  // Passed through as parsed: class-transformer cannot construct a Decimal (only the copy it validates is affected).
  @Exclude({ toClassOnly: true })
  @Field(() => DecimalScalar)
  amount!: Decimal;

  @Field(() => String, { description: IDEMPOTENCY_KEY_DESCRIPTION })
  @Matches(IDEMPOTENCY_KEY_PATTERN, { message: IDEMPOTENCY_KEY_MESSAGE })
  idempotencyKey!: string;
}

@InputType({ description: "A transfer between two of the caller's accounts." })
export class TransferCollateralInput {
  @Field(() => ID)
  @IsString()
  @MaxLength(64)
  fromAccountId!: string;

  @Field(() => ID)
  @IsString()
  @MaxLength(64)
  toAccountId!: string;

  @Field(() => String)
  @IsString()
  @MaxLength(16)
  asset!: string;

  // Passed through as parsed: class-transformer cannot construct a Decimal (only the copy it validates is affected).
  @Exclude({ toClassOnly: true })
  @Field(() => DecimalScalar)
  amount!: Decimal;

  @Field(() => String, { description: IDEMPOTENCY_KEY_DESCRIPTION })
  @Matches(IDEMPOTENCY_KEY_PATTERN, { message: IDEMPOTENCY_KEY_MESSAGE })
  idempotencyKey!: string;
}
