import { ArgsType, Field, ID } from '@nestjs/graphql';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PaginationArgs } from '../../common/pagination/pagination.args.js';

/** The optional account filter of the `accountEvents` subscription. */
@ArgsType()
export class AccountEventsSubscriptionArgs {
  @Field(() => ID, {
    nullable: true,
    description: "Only this account's events (one of the caller's); omit for every account of the caller's firm.",
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  accountId?: string | null;
}

/** The `accountEvents` catch-up query: the same filter, paged oldest first. */
@ArgsType()
export class AccountEventsArgs extends PaginationArgs {
  @Field(() => ID, {
    nullable: true,
    description: "Only this account's events (one of the caller's); omit for every account of the caller's firm.",
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  accountId?: string | null;
}
