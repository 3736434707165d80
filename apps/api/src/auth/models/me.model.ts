import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum ApiKeyRoleValue {
  MEMBER = 'member',
  VENUE = 'venue',
  CUSTODY = 'custody',
  ADMIN = 'admin',
}
registerEnumType(ApiKeyRoleValue, { name: 'ApiKeyRole', description: 'What an API key may do.' });

@ObjectType({ description: 'A clearing member firm.' })
export class MemberFirm {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Short code, such as ALPHA.' })
  code!: string;

  @Field(() => String)
  name!: string;
}

@ObjectType({ description: 'The API key making this request (never its secret).' })
export class ApiKeyInfo {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  label!: string;

  @Field(() => ApiKeyRoleValue)
  role!: `${ApiKeyRoleValue}`;
}

@ObjectType({ description: 'The caller: its member firm and API key.' })
export class Me {
  @Field(() => MemberFirm)
  firm!: MemberFirm;

  @Field(() => ApiKeyInfo)
  key!: ApiKeyInfo;
}
