import { Args, Context, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { argsValidationPipe } from '../common/args-validation.pipe.js';
import type { Page } from '../common/pagination/connection.model.js';
import { PaginationArgs } from '../common/pagination/pagination.args.js';
import type { ApiGraphqlContext } from '../common/graphql-context.js';
import type { Principal } from '../auth/principal.js';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator.js';
import { AccountsService } from './accounts.service.js';
import { AccountArgs, MarginReceiptArgs } from './dto/account.args.js';
import { Account, AccountConnection } from './models/account.model.js';
import { Balance } from './models/balance.model.js';
import { MarginCall, MarginCallConnection } from './models/margin-call.model.js';
import { MarginReceiptDocument } from './models/margin-receipt.model.js';
import { Margin } from './models/margin.model.js';
import { Position, PositionConnection } from './models/position.model.js';

/** Member-firm reads. Queries are guarded; field resolvers run only under an account a query returned. */
@Resolver(() => Account)
export class AccountsResolver {
  constructor(private readonly accounts: AccountsService) {}

  @Roles('member')
  @Query(() => AccountConnection, { name: 'accounts', description: "The caller's member firm accounts, by id." })
  accountsPage(
    @CurrentPrincipal() principal: Principal,
    @Args(argsValidationPipe) page: PaginationArgs,
  ): Promise<Page<Account>> {
    return this.accounts.accounts(principal, { first: page.first, after: page.after ?? null });
  }

  @Roles('member')
  @Query(() => Account, { nullable: true, description: "One of the caller's accounts; null for any other id." })
  account(
    @CurrentPrincipal() principal: Principal,
    @Args(argsValidationPipe) args: AccountArgs,
    @Context() context: ApiGraphqlContext,
  ): Promise<Account | null> {
    return this.accounts.account(principal, args.id, context.reads?.accounts);
  }

  @ResolveField(() => [Balance], { description: 'Ledger balances per asset.' })
  balances(@Parent() account: Account, @Context() context: ApiGraphqlContext): Promise<Balance[]> {
    return this.accounts.balances(context.loaders, account);
  }

  @ResolveField(() => PositionConnection, { description: 'Positions, by instrument id.' })
  positions(
    @Parent() account: Account,
    @Args(argsValidationPipe) page: PaginationArgs,
    @Context() context: ApiGraphqlContext,
  ): Promise<Page<Position>> {
    return this.accounts.positions(context.loaders, account, { first: page.first, after: page.after ?? null });
  }

  @ResolveField(() => Margin, { nullable: true, description: 'The latest stored margin; null if never computed.' })
  margin(@Parent() account: Account, @Context() context: ApiGraphqlContext): Promise<Margin | null> {
    return this.accounts.margin(context.loaders, account);
  }

  @ResolveField(() => MarginReceiptDocument, {
    nullable: true,
    description: 'A stored margin receipt of this account for offline replay; null for any other id.',
  })
  marginReceipt(
    @Parent() account: Account,
    @Args(argsValidationPipe) args: MarginReceiptArgs,
  ): Promise<MarginReceiptDocument | null> {
    return this.accounts.marginReceipt(account, args.id);
  }

  @ResolveField(() => MarginCallConnection, { description: 'Margin calls, newest first.' })
  marginCalls(@Parent() account: Account, @Args(argsValidationPipe) page: PaginationArgs): Promise<Page<MarginCall>> {
    return this.accounts.marginCalls(account, { first: page.first, after: page.after ?? null });
  }
}
