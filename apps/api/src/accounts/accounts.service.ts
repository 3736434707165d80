import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AccountEntity, MarginCallEntity, MarginReceiptEntity, exportReceipt, isUuid } from '@novation/persistence';
import type { MarginResult } from '@novation/risk';
import { DataSource } from 'typeorm';
import { toPage, type Page } from '../common/pagination/connection.model.js';
import { decodeCursor, encodeCursor } from '../common/pagination/cursor.js';
import { ReadModelService } from '../common/read-model/read-model.service.js';
import type { PageRequest } from '../common/pagination/pagination.args.js';
import type { Principal } from '../auth/principal.js';
import { POSITION_CURSOR_KIND, type AccountLoaders } from './account.loaders.js';
import { AccountsException } from './accounts.exception.js';
import { marginBreakdown } from './margin-breakdown.js';
import type { Account } from './models/account.model.js';
import type { Balance } from './models/balance.model.js';
import type { MarginCall } from './models/margin-call.model.js';
import type { MarginReceiptDocument } from './models/margin-receipt.model.js';
import type { Margin } from './models/margin.model.js';
import type { Position } from './models/position.model.js';

const ACCOUNT_CURSOR_KIND = 'account';
const ACCOUNT_ROW_KEY = 'row';

/** An account row as the read model caches it: with its owner, checked against every caller. */
interface OwnedAccount {
  readonly memberFirmId: string | null;
  readonly account: Account;
}
const MARGIN_CALL_CURSOR_KIND = 'margin-call';
const UUID_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Margin calls are listed newest first; their cursor is `<createdAt ISO>|<id>`. */
const MARGIN_CALL_KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([0-9a-f-]{36})$/;
const RECEIPT_ID = /^[0-9]{1,19}$/;

/**
 * Reads of the caller's own accounts. Tenancy is decided in exactly two places, `accounts` and
 * `account`, by the member firm of the principal; nested fields trust their parent account, so another
 * firm's id is never reachable, and looks exactly like a missing one (null).
 */
@Injectable()
export class AccountsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly readModel: ReadModelService,
  ) {}

  async accounts(principal: Principal, page: PageRequest): Promise<Page<Account>> {
    const memberFirmId = firmOf(principal);
    const after = page.after === null ? null : decodeCursor(ACCOUNT_CURSOR_KIND, page.after, UUID_KEY);
    const query = this.dataSource.manager
      .createQueryBuilder(AccountEntity, 'account')
      .where('account.member_firm_id = :memberFirmId', { memberFirmId })
      .orderBy('account.id', 'ASC')
      .limit(page.first + 1);
    if (after !== null) query.andWhere('account.id > :after', { after });
    const rows = await query.getMany();
    return toPage(rows, page.first, (row) => encodeCursor(ACCOUNT_CURSOR_KIND, row.id), toAccount);
  }

  /** `readGroups`, when given, records the account id read (the response cache's dependency). */
  async account(principal: Principal, id: string, readGroups?: Set<string>): Promise<Account | null> {
    const memberFirmId = firmOf(principal);
    if (!isUuid(id)) return null;
    readGroups?.add(id);
    // Cached by id with its owner; the owner is compared on every request, hit or miss.
    let owned = this.readModel.accounts.get(id, ACCOUNT_ROW_KEY) as OwnedAccount | null | undefined;
    if (owned === undefined) {
      const ticket = this.readModel.accounts.ticket();
      const row = await this.dataSource.manager.findOneBy(AccountEntity, { id });
      owned = row === null ? null : { memberFirmId: row.memberFirmId, account: toAccount(row) };
      this.readModel.accounts.set(ticket, id, ACCOUNT_ROW_KEY, owned);
    }
    return owned !== null && owned.memberFirmId === memberFirmId ? owned.account : null;
  }

  balances(loaders: AccountLoaders, account: Account): Promise<Balance[]> {
    return loaders.balances.load(account.id);
  }

  positions(loaders: AccountLoaders, account: Account, page: PageRequest): Promise<Page<Position>> {
    const afterInstrumentId = page.after === null ? null : decodeCursor(POSITION_CURSOR_KIND, page.after, UUID_KEY);
    return loaders.positions.load({ accountId: account.id, first: page.first, afterInstrumentId });
  }

  async margin(loaders: AccountLoaders, account: Account): Promise<Margin | null> {
    const receipt = await loaders.latestReceipt.load(account.id);
    if (receipt === null) return null;
    return {
      receiptId: receipt.id,
      inputsHash: receipt.inputsHash,
      computedAt: receipt.computedAt,
      ...marginBreakdown(receipt.result as MarginResult),
    };
  }

  /** A receipt of this account, exported for replay; null for a receipt of any other account. */
  async marginReceipt(account: Account, receiptId: string): Promise<MarginReceiptDocument | null> {
    if (!RECEIPT_ID.test(receiptId)) return null;
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const row = await manager.findOneBy(MarginReceiptEntity, { id: receiptId, accountId: account.id });
      if (row === null) return null;
      const exported = await exportReceipt(manager, receiptId);
      return {
        id: row.id,
        inputsHash: row.inputsHash,
        resultHash: row.resultHash,
        engineVersion: row.engineVersion,
        computedAt: row.computedAt,
        document: JSON.stringify(exported),
      };
    });
  }

  async marginCalls(account: Account, page: PageRequest): Promise<Page<MarginCall>> {
    const query = this.dataSource.manager
      .createQueryBuilder(MarginCallEntity, 'call')
      .where('call.account_id = :accountId', { accountId: account.id })
      // Cursors carry milliseconds; ordering at the same precision keeps pages without gaps or repeats.
      .orderBy(`date_trunc('milliseconds', call.created_at)`, 'DESC')
      .addOrderBy('call.id', 'DESC')
      .limit(page.first + 1);
    if (page.after !== null) {
      const key = decodeCursor(MARGIN_CALL_CURSOR_KIND, page.after, MARGIN_CALL_KEY);
      const [, createdAt, id] = MARGIN_CALL_KEY.exec(key) ?? [];
      query.andWhere(`(date_trunc('milliseconds', call.created_at), call.id) < (:createdAt::timestamptz, :id::uuid)`, {
        createdAt,
        id,
      });
    }
    const rows = await query.getMany();
    return toPage(
      rows,
      page.first,
      (row) => encodeCursor(MARGIN_CALL_CURSOR_KIND, `${row.createdAt.toISOString()}|${row.id}`),
      (row) => ({
        id: row.id,
        receiptId: row.receiptId,
        shortfall: row.shortfall,
        asset: row.asset,
        deadlineAt: row.deadlineAt,
        status: row.status,
        createdAt: row.createdAt,
        resolvedAt: row.resolvedAt,
      }),
    );
  }
}

function firmOf(principal: Principal): string {
  if (principal.memberFirmId === null) {
    throw new AccountsException('NOT_A_MEMBER_FIRM_KEY', 'this API key belongs to no member firm');
  }
  return principal.memberFirmId;
}

function toAccount(row: AccountEntity): Account {
  return {
    id: row.id,
    code: row.code,
    kind: row.kind,
    settlementAsset: row.settlementAsset,
    marginState: row.marginState,
    createdAt: row.createdAt,
  };
}
