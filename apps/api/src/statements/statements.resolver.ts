import { Args, Context, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Account } from '../accounts/models/account.model.js';
import type { Principal } from '../auth/principal.js';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator.js';
import { argsValidationPipe } from '../common/args-validation.pipe.js';
import type { ApiGraphqlContext } from '../common/graphql-context.js';
import type { Page } from '../common/pagination/connection.model.js';
import { StatementArgs, StatementFilterArgs } from './dto/statement.args.js';
import { StatementLine, StatementLineConnection } from './models/statement-line.model.js';
import type { StatementFilter } from './statement.loader.js';
import { StatementsService } from './statements.service.js';

/**
 * Account statements: the `statement` query (tenancy checked on `accountId`) and the same list as the
 * `Account.statement` field, whose parent the accounts queries already restricted to the caller's firm.
 */
@Resolver(() => Account)
export class StatementsResolver {
  constructor(private readonly statements: StatementsService) {}

  @Roles('member')
  @Query(() => StatementLineConnection, {
    description:
      "Ledger postings of one of the caller's accounts, newest first. Another firm's account is NOT_FOUND, " +
      'exactly like a missing one.',
  })
  statement(
    @CurrentPrincipal() principal: Principal,
    @Args(argsValidationPipe) args: StatementArgs,
    @Context() context: ApiGraphqlContext,
  ): Promise<Page<StatementLine>> {
    return this.statements.statement(context, principal, args.accountId, filterOf(args), pageOf(args));
  }

  // No guard here: field resolvers run without enhancers, and only member queries return an Account.
  @ResolveField('statement', () => StatementLineConnection, {
    description: 'Ledger postings of this account, newest first; batched over a page of accounts.',
  })
  accountStatement(
    @Parent() account: Account,
    @CurrentPrincipal() principal: Principal,
    @Args(argsValidationPipe) args: StatementFilterArgs,
    @Context() context: ApiGraphqlContext,
  ): Promise<Page<StatementLine>> {
    return this.statements.ownStatement(context, principal, account.id, filterOf(args), pageOf(args));
  }
}

function filterOf(args: StatementFilterArgs): StatementFilter {
  return { from: args.from ?? null, to: args.to ?? null, asset: args.asset ?? null };
}

function pageOf(args: StatementFilterArgs): { first: number; after: string | null } {
  return { first: args.first, after: args.after ?? null };
}
