import { ArgsType, Field, ID } from '@nestjs/graphql';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PaginationArgs } from '../../common/pagination/pagination.args.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

@ArgsType()
export class BacktestResultsArgs extends PaginationArgs {
  @Field(() => ID, { description: 'One of your accounts; another id gives an empty list.' })
  @IsString()
  @MaxLength(64)
  accountId!: string;

  @Field(() => String, { nullable: true, description: 'First business date, YYYY-MM-DD (inclusive).' })
  @IsOptional()
  @Matches(DATE, { message: 'from must be YYYY-MM-DD' })
  from?: string | null;

  @Field(() => String, { nullable: true, description: 'Last business date, YYYY-MM-DD (inclusive).' })
  @IsOptional()
  @Matches(DATE, { message: 'to must be YYYY-MM-DD' })
  to?: string | null;
}
