import { Args, Query, Resolver } from '@nestjs/graphql';
import type { Principal } from '../auth/principal.js';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator.js';
import { argsValidationPipe } from '../common/args-validation.pipe.js';
import type { Page } from '../common/pagination/connection.model.js';
import { BacktestsService } from './backtests.service.js';
import { BacktestResultsArgs } from './dto/backtest-results.args.js';
import { BacktestResult, BacktestResultConnection } from './models/backtest-result.model.js';

@Resolver(() => BacktestResult)
export class BacktestsResolver {
  constructor(private readonly backtests: BacktestsService) {}

  @Roles('member')
  @Query(() => BacktestResultConnection, {
    description: 'Stored daily backtests of one of your accounts, newest business date first.',
  })
  backtestResults(
    @CurrentPrincipal() principal: Principal,
    @Args(argsValidationPipe) args: BacktestResultsArgs,
  ): Promise<Page<BacktestResult>> {
    return this.backtests.backtestResults(
      principal,
      { accountId: args.accountId, from: args.from ?? null, to: args.to ?? null },
      { first: args.first, after: args.after ?? null },
    );
  }
}
