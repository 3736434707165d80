import { Field, ObjectType } from '@nestjs/graphql';
import type { Decimal } from '@novation/money';
import { DecimalScalar } from '../../common/scalars/decimal.scalar.js';

@ObjectType({ description: 'Ledger balance of one asset in an account.' })
export class Balance {
  @Field(() => String, { description: 'Asset code, such as BTC.' })
  asset!: string;

  @Field(() => DecimalScalar, { description: 'Sum of the ledger postings in this asset.' })
  amount!: Decimal;
}
