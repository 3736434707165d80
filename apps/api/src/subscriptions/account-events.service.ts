import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { listAccountEvents } from '@novation/persistence';
import { GraphQLError } from 'graphql';
import { DataSource } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { memberFirmOf, ownedAccountId } from '../collateral/owned-account.js';
import { toPage, type Page } from '../common/pagination/connection.model.js';
import { decodeCursor } from '../common/pagination/cursor.js';
import type { PageRequest } from '../common/pagination/pagination.args.js';
import {
  ACCOUNT_EVENT_CURSOR_KIND,
  ACCOUNT_EVENT_POSITION,
  accountEventCursor,
  accountEventPosition,
  positionOf,
  toAccountEventModel,
} from './account-event.mapper.js';
import { AccountEventPublisher, accountEventTopic, type AccountEventMessage } from './account-event.publisher.js';
import type { AccountEvent } from './models/account-event.model.js';
import { SUBSCRIPTIONS_PER_CONNECTION_MAX, type SubscriptionGraphqlContext } from './subscription-connection.js';

/**
 * The caller firm's account events: live (subscription) and stored (the catch-up query). Tenancy is
 * decided once per operation: the firm comes from the key, and an `accountId` filter must name one of the
 * firm's accounts (`ownedAccountId`: another firm's account is NOT_FOUND exactly like a missing one). The
 * subscription listens on the firm's own topic, so another firm's events never reach its filter.
 */
@Injectable()
export class AccountEventsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly publisher: AccountEventPublisher,
  ) {}

  async page(principal: Principal, accountId: string | null, page: PageRequest): Promise<Page<AccountEvent>> {
    const memberFirmId = memberFirmOf(principal);
    const ownedId =
      accountId === null ? null : await ownedAccountId(this.dataSource.manager, principal, accountId, 'accountId');
    const after =
      page.after === null
        ? null
        : accountEventPosition(decodeCursor(ACCOUNT_EVENT_CURSOR_KIND, page.after, ACCOUNT_EVENT_POSITION));
    const events = await listAccountEvents(this.dataSource.manager, {
      memberFirmId,
      ...(ownedId === null ? {} : { accountId: ownedId }),
      ...(after === null ? {} : { after }),
      limit: page.first + 1,
    });
    return toPage(
      events,
      page.first,
      (event) => accountEventCursor(positionOf(event)),
      (event) => toAccountEventModel(event),
    );
  }

  async subscribe(
    context: SubscriptionGraphqlContext,
    accountId: string | null,
  ): Promise<AsyncIterableIterator<AccountEventMessage>> {
    const { principal, subscriptionConnection } = context;
    const memberFirmId = memberFirmOf(principal);
    const ownedId =
      accountId === null ? null : await ownedAccountId(this.dataSource.manager, principal, accountId, 'accountId');
    if (subscriptionConnection.active >= SUBSCRIPTIONS_PER_CONNECTION_MAX) {
      throw new GraphQLError(`at most ${SUBSCRIPTIONS_PER_CONNECTION_MAX} subscriptions per connection`, {
        extensions: { code: 'BAD_REQUEST' },
      });
    }
    subscriptionConnection.active += 1;
    const release = this.publisher.acquire(memberFirmId);
    try {
      const source = (await context.pubsub.subscribe(
        accountEventTopic(memberFirmId),
      )) as AsyncIterable<AccountEventMessage>;
      return filtered(source, ownedId, () => {
        release();
        subscriptionConnection.active -= 1;
      });
    } catch (error) {
      release();
      subscriptionConnection.active -= 1;
      throw error;
    }
  }
}

/** The firm's messages, only the account's when filtered; `done` runs once the subscription ends. */
async function* filtered(
  source: AsyncIterable<AccountEventMessage>,
  accountId: string | null,
  done: () => void,
): AsyncIterableIterator<AccountEventMessage> {
  try {
    for await (const message of source) {
      if (accountId === null || message.accountEvents.accountId === accountId) yield message;
    }
  } finally {
    done();
  }
}
