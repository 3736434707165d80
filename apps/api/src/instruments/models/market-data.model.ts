import { Field, Float, ID, ObjectType } from '@nestjs/graphql';
import type { Decimal } from '@novation/money';
import { DateTimeScalar } from '../../common/scalars/date-time.scalar.js';
import { DecimalScalar } from '../../common/scalars/decimal.scalar.js';

@ObjectType({ description: 'The latest accepted mark of an instrument.' })
export class MarkPrice {
  @Field(() => DecimalScalar, {
    description: 'Mark price; for an option, the premium per unit in the settlement asset.',
  })
  price!: Decimal;

  @Field(() => Float, {
    nullable: true,
    description: 'Options only: implied volatility, annualised (0.55 is 55%); a model input, not an amount.',
  })
  impliedVolatility!: number | null;

  @Field(() => DateTimeScalar, { description: 'When the price was observed at its source.' })
  observedAt!: Date;
}

@ObjectType({ description: 'The latest accepted price of an underlying index.' })
export class IndexPrice {
  @Field(() => String, { description: 'The underlying index, such as BTC-USD.' })
  underlying!: string;

  @Field(() => DecimalScalar, { description: 'Index price in the quote currency of the underlying.' })
  price!: Decimal;

  @Field(() => DateTimeScalar, { description: 'When the price was observed at its source.' })
  observedAt!: Date;
}

@ObjectType({ description: 'The latest market data the margin engine uses for one instrument.' })
export class MarketData {
  @Field(() => ID, { description: 'The instrument.' })
  instrumentId!: string;

  @Field(() => MarkPrice, { nullable: true, description: 'Latest mark; null while none has been published.' })
  mark!: MarkPrice | null;

  @Field(() => IndexPrice, {
    nullable: true,
    description: "Latest index price of the instrument's underlying; null while none has been published.",
  })
  index!: IndexPrice | null;
}
