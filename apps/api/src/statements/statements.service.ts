import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AccountEntity, isUuid } from '@novation/persistence';
import { DataSource, Not } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import type { Page } from '../common/pagination/connection.model.js';
import { decodeCursor } from '../common/pagination/cursor.js';
import type { PageRequest } from '../common/pagination/pagination.args.js';
import { STATEMENT_RANGE_DAYS_MAX } from './dto/statement.args.js';
import type { StatementLine } from './models/statement-line.model.js';
import { STATEMENT_CURSOR_KIND, StatementLoaderFactory, type StatementFilter } from './statement.loader.js';
import { StatementsException } from './statements.exception.js';

/** The cursor key is a posting id (bigint). */
const POSTING_ID = /^[0-9]{1,19}$/;
const DAY_MS = 86_400_000;

/**
 * An account's ledger postings, newest first in ledger order (posting id). Tenancy is decided once, in
 * `ownedAccountId`: another firm's account, a house account, a malformed id and a missing one are all the
 * same ACCOUNT_NOT_FOUND. `Account.statement` trusts its parent, which the accounts queries only return to
 * its own firm. Of each journal entry the member sees only its own legs, the kind and time, a description
 * with foreign account ids redacted, and its own idempotency key (statement.loader.ts).
 */
@Injectable()
export class StatementsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly loaders: StatementLoaderFactory,
  ) {}

  async statement(
    context: object,
    principal: Principal,
    accountId: string,
    filter: StatementFilter,
    page: PageRequest,
  ): Promise<Page<StatementLine>> {
    checkRequest(filter, page);
    const ownedId = await this.ownedAccountId(principal, accountId);
    return this.load(context, principal, ownedId, filter, page);
  }

  /** The statement of an account a parent field already resolved for the caller (Account.statement). */
  async ownStatement(
    context: object,
    principal: Principal,
    accountId: string,
    filter: StatementFilter,
    page: PageRequest,
  ): Promise<Page<StatementLine>> {
    checkRequest(filter, page);
    return this.load(context, principal, accountId, filter, page);
  }

  private load(
    context: object,
    principal: Principal,
    accountId: string,
    filter: StatementFilter,
    page: PageRequest,
  ): Promise<Page<StatementLine>> {
    const beforePostingId = page.after === null ? null : decodeCursor(STATEMENT_CURSOR_KIND, page.after, POSTING_ID);
    return this.loaders
      .forRequest(context)
      .load({ accountId, memberFirmId: firmOf(principal), filter, first: page.first, beforePostingId });
  }

  private async ownedAccountId(principal: Principal, accountId: string): Promise<string> {
    const memberFirmId = firmOf(principal);
    const id = accountId.toLowerCase();
    const found =
      isUuid(id) && (await this.dataSource.manager.existsBy(AccountEntity, { id, memberFirmId, kind: Not('house') }));
    // One message for every reason, so the answer says nothing about accounts the caller does not own.
    if (!found) throw new StatementsException('ACCOUNT_NOT_FOUND', `no account ${accountId.slice(0, 64)}`, 'accountId');
    return id;
  }
}

/**
 * `from` before `to`, at most STATEMENT_RANGE_DAYS_MAX days apart, and a cursor of this list: checked
 * before any read, so a refused request costs no query.
 */
function checkRequest(filter: StatementFilter, page: PageRequest): void {
  if (page.after !== null) decodeCursor(STATEMENT_CURSOR_KIND, page.after, POSTING_ID);
  if (filter.from === null || filter.to === null) return;
  if (filter.from.getTime() >= filter.to.getTime()) {
    throw new StatementsException('INVALID_DATE_RANGE', '`to` must be later than `from`', 'to');
  }
  if (filter.to.getTime() - filter.from.getTime() > STATEMENT_RANGE_DAYS_MAX * DAY_MS) {
    throw new StatementsException(
      'INVALID_DATE_RANGE',
      `a statement covers at most ${STATEMENT_RANGE_DAYS_MAX} days`,
      'to',
    );
  }
}

function firmOf(principal: Principal): string {
  if (principal.memberFirmId === null) {
    throw new StatementsException('NOT_A_MEMBER_FIRM_KEY', 'this API key belongs to no member firm');
  }
  return principal.memberFirmId;
}
