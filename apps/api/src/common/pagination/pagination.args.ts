import { ArgsType, Field, Int } from '@nestjs/graphql';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** Largest page any list returns: a client wanting more pages through with `after`. */
export const PAGE_SIZE_MAX = 100;
export const PAGE_SIZE_DEFAULT = 20;

@ArgsType()
export class PaginationArgs {
  @Field(() => Int, {
    defaultValue: PAGE_SIZE_DEFAULT,
    description: `How many items to return, 1 to ${PAGE_SIZE_MAX}.`,
  })
  @IsInt()
  @Min(1)
  @Max(PAGE_SIZE_MAX)
  first: number = PAGE_SIZE_DEFAULT;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page; omit for the first page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  after?: string | null;
}

/** One page request, validated: what services take. */
export interface PageRequest {
  readonly first: number;
  readonly after: string | null;
}
