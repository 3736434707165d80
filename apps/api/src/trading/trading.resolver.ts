import { Args, Mutation, Resolver } from '@nestjs/graphql';
import type { Principal } from '../auth/principal.js';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator.js';
import { argsValidationPipe } from '../common/args-validation.pipe.js';
import { PublishMarksInput } from './dto/publish-marks.input.js';
import { SubmitTradesInput } from './dto/submit-trades.input.js';
import { PublishMarksResult, SubmitTradesResult } from './models/trading-results.model.js';
import { TradingService } from './trading.service.js';

/** Venue mutations: the venue is always the caller's API key venue. */
@Resolver()
export class TradingResolver {
  constructor(private readonly trading: TradingService) {}

  @Roles('venue')
  @Mutation(() => SubmitTradesResult, { description: "Clears executed trades of the caller's venue." })
  submitTrades(
    @CurrentPrincipal() principal: Principal,
    @Args('input', argsValidationPipe) input: SubmitTradesInput,
  ): Promise<SubmitTradesResult> {
    return this.trading.submitTrades(principal, input, Date.now());
  }

  @Roles('venue')
  @Mutation(() => PublishMarksResult, {
    description: "Publishes index and mark prices for the caller's venue's instruments; each item is judged alone.",
  })
  publishMarks(
    @CurrentPrincipal() principal: Principal,
    @Args('input', argsValidationPipe) input: PublishMarksInput,
  ): Promise<PublishMarksResult> {
    return this.trading.publishMarks(principal, input, Date.now());
  }
}
