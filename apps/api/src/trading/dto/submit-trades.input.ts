import { Field, ID, InputType, registerEnumType } from '@nestjs/graphql';
import type { Decimal } from '@novation/money';
import { Exclude, Type } from 'class-transformer';
import { ArrayMaxSize, IsIn, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { DateTimeScalar } from '../../common/scalars/date-time.scalar.js';
import { DecimalScalar } from '../../common/scalars/decimal.scalar.js';

/** Most trades in one call; the same bound as the clearing service's batch (TRADES_PER_BATCH_MAX). */
export const TRADES_PER_CALL_MAX = 1_000;

export enum TradeSubmissionModeValue {
  ATOMIC = 'atomic',
  PER_TRADE = 'per-trade',
}
registerEnumType(TradeSubmissionModeValue, {
  name: 'TradeSubmissionMode',
  description:
    'ATOMIC: all trades clear or none (one rejection reports the others BATCH_ABORTED). PER_TRADE: each trade on its own.',
});

/**
 * One venue trade. The venue is the caller's API key venue: there is deliberately no venue field, so a
 * venue can only ever submit its own trades.
 */
@InputType({ description: 'One executed trade of the calling venue.' })
export class TradeInput {
  @Field(() => String, { description: "The venue's trade id: a retry with the same id and payload is a duplicate." })
  @IsString()
  @MaxLength(128)
  @Matches(/^[A-Za-z0-9_.:-]+$/)
  venueTradeId!: string;

  @Field(() => ID)
  @IsString()
  @MaxLength(64)
  instrumentId!: string;

  @Field(() => ID)
  @IsString()
  @MaxLength(64)
  buyerAccountId!: string;

  @Field(() => ID)
  @IsString()
  @MaxLength(64)
  sellerAccountId!: string;

  // Passed through as parsed: class-transformer cannot construct a Decimal (only the copy it validates is affected).
  @Exclude({ toClassOnly: true })
  @Field(() => DecimalScalar, { description: 'Contracts, > 0, a multiple of the instrument quantity step.' })
  quantity!: Decimal;

  // Passed through as parsed: class-transformer cannot construct a Decimal (only the copy it validates is affected).
  @Exclude({ toClassOnly: true })
  @Field(() => DecimalScalar, { description: 'Trade price; for an option, the premium per unit.' })
  price!: Decimal;

  // Passed through as parsed: class-transformer cannot construct a Decimal (only the copy it validates is affected).
  @Exclude({ toClassOnly: true })
  @Field(() => DecimalScalar, { description: 'Fee charged to the buyer, in the settlement asset.' })
  buyerFee!: Decimal;

  // Passed through as parsed: class-transformer cannot construct a Decimal (only the copy it validates is affected).
  @Exclude({ toClassOnly: true })
  @Field(() => DecimalScalar, { description: 'Fee charged to the seller, in the settlement asset.' })
  sellerFee!: Decimal;

  @Field(() => DateTimeScalar)
  executedAt!: Date;
}

@InputType()
export class SubmitTradesInput {
  @Field(() => TradeSubmissionModeValue)
  @IsIn(Object.values(TradeSubmissionModeValue))
  mode!: `${TradeSubmissionModeValue}`;

  @Field(() => [TradeInput], { description: `At most ${TRADES_PER_CALL_MAX} trades.` })
  @ArrayMaxSize(TRADES_PER_CALL_MAX)
  @ValidateNested({ each: true })
  @Type(() => TradeInput)
  trades!: TradeInput[];
}
