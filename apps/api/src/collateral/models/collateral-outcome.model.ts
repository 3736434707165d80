import { Field, ID, ObjectType } from '@nestjs/graphql';
import { DecimalScalar } from '../../common/scalars/decimal.scalar.js';

@ObjectType({ description: 'The margin check a payout passed: the account margined with the amount gone.' })
export class PayoutMarginCheck {
  @Field(() => ID, { description: 'The stored margin receipt of the check.' })
  receiptId!: string;

  @Field(() => DecimalScalar)
  equityForInitialMargin!: string;

  @Field(() => DecimalScalar)
  initialMargin!: string;
}

@ObjectType({ description: 'A recorded deposit.' })
export class DepositResult {
  @Field(() => ID)
  journalEntryId!: string;

  @Field(() => Boolean, { description: 'False for a retry of an applied key: nothing new happened.' })
  created!: boolean;

  @Field(() => ID)
  accountId!: string;

  @Field(() => String)
  asset!: string;

  @Field(() => DecimalScalar)
  amount!: string;
}

@ObjectType({ description: 'An accepted withdrawal.' })
export class WithdrawalResult extends DepositResult {
  @Field(() => PayoutMarginCheck)
  marginCheck!: PayoutMarginCheck;
}

@ObjectType({ description: 'An accepted transfer between two accounts of one member firm.' })
export class TransferResult {
  @Field(() => ID)
  journalEntryId!: string;

  @Field(() => Boolean, { description: 'False for a retry of an applied key: nothing new happened.' })
  created!: boolean;

  @Field(() => ID)
  fromAccountId!: string;

  @Field(() => ID)
  toAccountId!: string;

  @Field(() => String)
  asset!: string;

  @Field(() => DecimalScalar)
  amount!: string;

  @Field(() => PayoutMarginCheck)
  marginCheck!: PayoutMarginCheck;
}
