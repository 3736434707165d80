import { ArgsType, Field, ID } from '@nestjs/graphql';
import { IsString, MaxLength } from 'class-validator';

@ArgsType()
export class AccountArgs {
  @Field(() => ID)
  @IsString()
  @MaxLength(64)
  id!: string;
}

@ArgsType()
export class MarginReceiptArgs {
  @Field(() => ID, { description: 'Receipt id, as in Margin.receiptId.' })
  @IsString()
  @MaxLength(32)
  id!: string;
}
