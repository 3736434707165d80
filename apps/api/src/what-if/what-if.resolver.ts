import { Args, Query, Resolver } from '@nestjs/graphql';
import type { Principal } from '../auth/principal.js';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator.js';
import { argsValidationPipe } from '../common/args-validation.pipe.js';
import { MaxTradeSizeArgs, SimulateMarginArgs } from './dto/what-if.input.js';
import { MarginSimulation, MaxTradeSize } from './models/what-if.model.js';
import { WhatIfService } from './what-if.service.js';

/** Member what-ifs on the caller's own accounts; read-only. */
@Resolver()
export class WhatIfResolver {
  constructor(private readonly whatIf: WhatIfService) {}

  @Roles('member')
  @Query(() => MarginSimulation, {
    description: 'The margin of one of your accounts after hypothetical trades and market shocks; writes nothing.',
  })
  simulateMargin(
    @CurrentPrincipal() principal: Principal,
    @Args(argsValidationPipe) args: SimulateMarginArgs,
  ): Promise<MarginSimulation> {
    return this.whatIf.simulateMargin(principal, args.accountId, args.input, Date.now());
  }

  @Roles('member')
  @Query(() => MaxTradeSize, {
    description:
      'The largest buy and sell of an instrument one of your accounts can make at mark within initial margin.',
  })
  maxTradeSize(
    @CurrentPrincipal() principal: Principal,
    @Args(argsValidationPipe) args: MaxTradeSizeArgs,
  ): Promise<MaxTradeSize> {
    return this.whatIf.maxTradeSize(principal, args.accountId, args.instrumentId, Date.now());
  }
}
