import { Args, Context, Query, Resolver, Subscription } from '@nestjs/graphql';
import type { Principal } from '../auth/principal.js';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator.js';
import { argsValidationPipe } from '../common/args-validation.pipe.js';
import type { Page } from '../common/pagination/connection.model.js';
import type { AccountEventMessage } from './account-event.publisher.js';
import { AccountEventsService } from './account-events.service.js';
import { AccountEventsArgs, AccountEventsSubscriptionArgs } from './dto/account-events.args.js';
import { AccountEvent, AccountEventConnection } from './models/account-event.model.js';
import { toSubscriptionError, type SubscriptionGraphqlContext } from './subscription-connection.js';

@Resolver(() => AccountEvent)
export class AccountEventsResolver {
  constructor(private readonly events: AccountEventsService) {}

  @Roles('member')
  @Query(() => AccountEventConnection, {
    name: 'accountEvents',
    description:
      "Account events of the caller's firm (or of one of its accounts), oldest first: what the `accountEvents` " +
      "subscription pushed, for a client catching up after a reconnect. Another firm's account is NOT_FOUND, " +
      'exactly like a missing one.',
  })
  accountEventsPage(
    @CurrentPrincipal() principal: Principal,
    @Args(argsValidationPipe) args: AccountEventsArgs,
  ): Promise<Page<AccountEvent>> {
    return this.events.page(principal, args.accountId ?? null, { first: args.first, after: args.after ?? null });
  }

  @Roles('member')
  @Subscription(() => AccountEvent, {
    name: 'accountEvents',
    description:
      "Margin state changes, margin calls and liquidation steps of the caller's firm's accounts (or of one of " +
      'them) as they commit. Over graphql-ws (graphql-transport-ws) at /graphql, with the API key in ' +
      'connection_init\'s payload: { authorization: "Bearer <key>" }. Member keys only. Another firm\'s ' +
      'account is NOT_FOUND, exactly like a missing one.',
  })
  async accountEventsStream(
    @Context() context: SubscriptionGraphqlContext,
    @Args(argsValidationPipe) args: AccountEventsSubscriptionArgs,
  ): Promise<AsyncIterableIterator<AccountEventMessage>> {
    try {
      return await this.events.subscribe(context, args.accountId ?? null);
    } catch (error) {
      throw toSubscriptionError(error, context.app);
    }
  }
}
