import { Field, Float, ID, InputType } from '@nestjs/graphql';
import type { Decimal } from '@novation/money';
import { Exclude, Type } from 'class-transformer';
import { ArrayMaxSize, IsNumber, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { DateTimeScalar } from '../../common/scalars/date-time.scalar.js';
import { DecimalScalar } from '../../common/scalars/decimal.scalar.js';

/** Most index prices plus mark prices in one call (MARKET_DATA_ITEMS_PER_CALL_MAX of the persistence lib). */
export const MARKET_DATA_ITEMS_PER_CALL_MAX = 1_000;

@InputType({ description: 'An index price of an underlying listed by the calling venue.' })
export class IndexPriceInput {
  @Field(() => String, { description: 'Underlying, such as BTC-USD.' })
  @IsString()
  @MaxLength(32)
  underlying!: string;

  // Passed through as parsed: class-transformer cannot construct a Decimal (only the copy it validates is affected).
  @Exclude({ toClassOnly: true })
  @Field(() => DecimalScalar, { description: '> 0, in the quote asset.' })
  price!: Decimal;

  @Field(() => DateTimeScalar)
  observedAt!: Date;
}

@InputType({ description: 'A mark price of an instrument listed by the calling venue.' })
export class MarkPriceInput {
  @Field(() => ID)
  @IsString()
  @MaxLength(64)
  instrumentId!: string;

  // Passed through as parsed: class-transformer cannot construct a Decimal (only the copy it validates is affected).
  @Exclude({ toClassOnly: true })
  @Field(() => DecimalScalar, { description: '> 0; for an option, the premium per unit in the settlement asset.' })
  price!: Decimal;

  @Field(() => Float, { nullable: true, description: 'Required for options (0.6 = 60%), refused for other kinds.' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  impliedVolatility?: number | null;

  @Field(() => DateTimeScalar)
  observedAt!: Date;
}

/** Lists are nullable rather than defaulted: graphql-jit (Mercurius `jit`) does not apply input defaults. */
@InputType()
export class PublishMarksInput {
  @Field(() => [IndexPriceInput], { nullable: true, description: 'None when omitted.' })
  @IsOptional()
  @ArrayMaxSize(MARKET_DATA_ITEMS_PER_CALL_MAX)
  @ValidateNested({ each: true })
  @Type(() => IndexPriceInput)
  indexPrices?: IndexPriceInput[] | null;

  @Field(() => [MarkPriceInput], { nullable: true, description: 'None when omitted.' })
  @IsOptional()
  @ArrayMaxSize(MARKET_DATA_ITEMS_PER_CALL_MAX)
  @ValidateNested({ each: true })
  @Type(() => MarkPriceInput)
  markPrices?: MarkPriceInput[] | null;
}
