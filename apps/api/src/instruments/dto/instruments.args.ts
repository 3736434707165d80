import { ArgsType, Field, ID } from '@nestjs/graphql';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PaginationArgs } from '../../common/pagination/pagination.args.js';
import { InstrumentKindValue, InstrumentStatusValue } from '../models/instrument.model.js';

@ArgsType()
export class InstrumentsArgs extends PaginationArgs {
  @Field(() => String, { nullable: true, description: 'Only instruments on this underlying index, such as BTC-USD.' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @Matches(/^[A-Za-z0-9_.:-]{1,32}$/, { message: 'underlying must be an index name such as BTC-USD' })
  underlying?: string | null;

  @Field(() => InstrumentKindValue, { nullable: true, description: 'Only instruments of this kind.' })
  @IsOptional()
  @IsIn(Object.values(InstrumentKindValue))
  kind?: `${InstrumentKindValue}` | null;

  @Field(() => InstrumentStatusValue, { nullable: true, description: 'Only instruments in this status.' })
  @IsOptional()
  @IsIn(Object.values(InstrumentStatusValue))
  status?: `${InstrumentStatusValue}` | null;
}

@ArgsType()
export class InstrumentArgs {
  @Field(() => ID, { description: 'Instrument id.' })
  @IsString()
  @MaxLength(64)
  id!: string;
}

@ArgsType()
export class MarketDataArgs {
  @Field(() => ID, { description: 'Instrument id.' })
  @IsString()
  @MaxLength(64)
  instrumentId!: string;
}
