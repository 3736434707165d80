import { ArgsType, Field, Float, ID, InputType } from '@nestjs/graphql';
import type { Decimal } from '@novation/money';
import { Exclude, Type } from 'class-transformer';
import { ArrayMaxSize, IsNumber, IsOptional, IsString, Max, MaxLength, ValidateNested } from 'class-validator';
import { DecimalScalar } from '../../common/scalars/decimal.scalar.js';

/** Most hypothetical trades in one simulation: each may add an instrument to the margined book. */
export const SIMULATED_TRADES_MAX = 100;
/** Most price shocks in one simulation (one per underlying). */
export const PRICE_SHOCKS_MAX = 50;
/** Largest shock accepted (+1000%); the smallest is anything above -100%, checked by the simulation. */
export const SHOCK_FRACTION_MAX = 10;

@InputType({ description: 'A hypothetical trade, margined as a fill on the position.' })
export class SimulatedTradeInput {
  @Field(() => ID)
  @IsString()
  @MaxLength(64)
  instrumentId!: string;

  // Passed through as parsed: class-transformer cannot construct a Decimal (only the copy it validates is affected).
  @Exclude({ toClassOnly: true })
  @Field(() => DecimalScalar, { description: 'Signed contracts: positive buys, negative sells.' })
  quantity!: Decimal;

  // Passed through as parsed: class-transformer cannot construct a Decimal (only the copy it validates is affected).
  @Exclude({ toClassOnly: true })
  @Field(() => DecimalScalar, { nullable: true, description: 'Trade price; the current mark when omitted.' })
  price?: Decimal | null;
}

@InputType({ description: 'A relative move of one underlying (its index price and the futures marks on it).' })
export class PriceShockInput {
  @Field(() => String)
  @IsString()
  @MaxLength(32)
  underlying!: string;

  @Field(() => Float, { description: 'Such as -0.2 for -20%; > -1.' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Max(SHOCK_FRACTION_MAX)
  shockFraction!: number;
}

@InputType({ description: 'What to change before margining: trades first, then market shocks.' })
export class SimulateMarginInput {
  @Field(() => [SimulatedTradeInput], {
    nullable: true,
    description: `At most ${SIMULATED_TRADES_MAX}; none when omitted.`,
  })
  @IsOptional()
  @ArrayMaxSize(SIMULATED_TRADES_MAX)
  @ValidateNested({ each: true })
  @Type(() => SimulatedTradeInput)
  trades?: SimulatedTradeInput[] | null;

  @Field(() => [PriceShockInput], { nullable: true, description: `At most ${PRICE_SHOCKS_MAX}; none when omitted.` })
  @IsOptional()
  @ArrayMaxSize(PRICE_SHOCKS_MAX)
  @ValidateNested({ each: true })
  @Type(() => PriceShockInput)
  priceShocks?: PriceShockInput[] | null;

  // Nullable rather than defaulted: graphql-jit (Mercurius `jit`) does not apply input field defaults.
  @Field(() => Float, {
    nullable: true,
    description: 'Relative move of every implied volatility; > -1; 0 when omitted.',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Max(SHOCK_FRACTION_MAX)
  volatilityShockFraction?: number | null;
}

@ArgsType()
export class SimulateMarginArgs {
  @Field(() => ID)
  @IsString()
  @MaxLength(64)
  accountId!: string;

  @Field(() => SimulateMarginInput)
  @ValidateNested()
  @Type(() => SimulateMarginInput)
  input!: SimulateMarginInput;
}

@ArgsType()
export class MaxTradeSizeArgs {
  @Field(() => ID)
  @IsString()
  @MaxLength(64)
  accountId!: string;

  @Field(() => ID)
  @IsString()
  @MaxLength(64)
  instrumentId!: string;
}
