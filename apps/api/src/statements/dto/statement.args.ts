import { ArgsType, Field, ID } from '@nestjs/graphql';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PaginationArgs } from '../../common/pagination/pagination.args.js';
import { DateTimeScalar } from '../../common/scalars/date-time.scalar.js';

/** Longest date range one statement query may cover: a year, leap day included. */
export const STATEMENT_RANGE_DAYS_MAX = 366;

/** Filters of a statement; `from < to` and the range bound are checked by the service (they compare two args). */
@ArgsType()
export class StatementFilterArgs extends PaginationArgs {
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'Only entries created at or after this instant (inclusive).',
  })
  @IsOptional()
  from?: Date | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: `Only entries created before this instant (exclusive). With \`from\`: later than it, at most ${STATEMENT_RANGE_DAYS_MAX} days after.`,
  })
  @IsOptional()
  to?: Date | null;

  @Field(() => String, { nullable: true, description: 'Only postings in this asset, such as USDC.' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  @Matches(/^[A-Z0-9]{1,16}$/, { message: 'asset must be an asset code such as USDC' })
  asset?: string | null;
}

@ArgsType()
export class StatementArgs extends StatementFilterArgs {
  @Field(() => ID, { description: "One of the caller's accounts." })
  @IsString()
  @MaxLength(64)
  accountId!: string;
}
