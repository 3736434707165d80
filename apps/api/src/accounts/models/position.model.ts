import { Field, ID, ObjectType } from '@nestjs/graphql';
import type { Decimal } from '@novation/money';
import { Connection } from '../../common/pagination/connection.model.js';
import { DateTimeScalar } from '../../common/scalars/date-time.scalar.js';
import { DecimalScalar } from '../../common/scalars/decimal.scalar.js';

@ObjectType({ description: 'Net position of an account in one instrument (a closed one has quantity 0).' })
export class Position {
  @Field(() => ID)
  instrumentId!: string;

  @Field(() => String, { description: 'Instrument symbol, such as BTC-PERP.' })
  symbol!: string;

  @Field(() => DecimalScalar, { description: 'Signed contracts: negative is short.' })
  quantity!: Decimal;

  @Field(() => DecimalScalar, { nullable: true, description: 'Null exactly when flat.' })
  averageEntryPrice!: Decimal | null;

  @Field(() => DecimalScalar)
  realisedPnl!: Decimal;

  @Field(() => DecimalScalar, { nullable: true, description: 'Latest published mark price; null when none is known.' })
  markPrice!: Decimal | null;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;
}

export const PositionConnection = Connection(Position, 'Position');
