import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { Decimal } from '@novation/money';
import { Connection } from '../../common/pagination/connection.model.js';
import { DateTimeScalar } from '../../common/scalars/date-time.scalar.js';
import { DecimalScalar } from '../../common/scalars/decimal.scalar.js';

export enum MarginCallStatusValue {
  OPEN = 'open',
  MET = 'met',
  LIQUIDATED = 'liquidated',
  CANCELLED = 'cancelled',
}
registerEnumType(MarginCallStatusValue, { name: 'MarginCallStatus' });

@ObjectType({ description: 'A demand to restore initial margin by a deadline.' })
export class MarginCall {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { description: 'The margin receipt that made the call.' })
  receiptId!: string;

  @Field(() => DecimalScalar, { description: 'Initial margin minus equity when the call was made.' })
  shortfall!: Decimal;

  @Field(() => String)
  asset!: string;

  @Field(() => DateTimeScalar)
  deadlineAt!: Date;

  @Field(() => MarginCallStatusValue)
  status!: `${MarginCallStatusValue}`;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  resolvedAt!: Date | null;
}

export const MarginCallConnection = Connection(MarginCall, 'MarginCall');
