import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Connection } from '../../common/pagination/connection.model.js';
import { DateTimeScalar } from '../../common/scalars/date-time.scalar.js';

export enum AccountKindValue {
  CROSS = 'cross',
  ISOLATED = 'isolated',
  PORTFOLIO = 'portfolio',
  HOUSE = 'house',
}
registerEnumType(AccountKindValue, {
  name: 'AccountKind',
  description: 'How an account is margined: cross, isolated (one market) or portfolio.',
});

export enum AccountMarginStateValue {
  HEALTHY = 'healthy',
  MARGIN_CALL = 'margin_call',
  LIQUIDATING = 'liquidating',
}
registerEnumType(AccountMarginStateValue, {
  name: 'AccountMarginState',
  description: 'Where the account stands after its latest margin run.',
});

@ObjectType({ description: "One of the caller's member firm accounts." })
export class Account {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Code, unique within the firm, such as "main".' })
  code!: string;

  @Field(() => AccountKindValue)
  kind!: `${AccountKindValue}`;

  @Field(() => String, { description: 'Asset the account settles and is margined in, such as USDC.' })
  settlementAsset!: string;

  @Field(() => AccountMarginStateValue)
  marginState!: `${AccountMarginStateValue}`;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

export const AccountConnection = Connection(Account, 'Account');
