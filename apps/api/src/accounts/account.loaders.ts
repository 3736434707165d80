import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Decimal } from '@novation/money';
import DataLoader from 'dataloader';
import { DataSource } from 'typeorm';
import { toPage, type Page } from '../common/pagination/connection.model.js';
import { encodeCursor } from '../common/pagination/cursor.js';
import type { Balance } from './models/balance.model.js';
import type { Position } from './models/position.model.js';

export const POSITION_CURSOR_KIND = 'position';

/** A page of one account's positions; `afterInstrumentId` is the decoded cursor. */
export interface PositionPageKey {
  readonly accountId: string;
  readonly first: number;
  readonly afterInstrumentId: string | null;
}

/** The latest stored receipt of an account, as the margin field reads it. */
export interface LatestReceiptRow {
  readonly id: string;
  readonly inputsHash: string;
  readonly result: unknown;
  readonly computedAt: Date;
}

export interface AccountLoaders {
  readonly balances: DataLoader<string, Balance[]>;
  readonly latestReceipt: DataLoader<string, LatestReceiptRow | null>;
  readonly positions: DataLoader<PositionPageKey, Page<Position>, string>;
}

/** Most keys one batch query takes: a page of accounts is at most 100, so one batch per page. */
const BATCH_KEYS_MAX = 100;

/**
 * Builds the per-request DataLoaders of the account fields: one query per batch of accounts for
 * balances, the latest receipt, and each distinct positions page request (in practice one), whatever
 * the number of accounts on the page. Created per request so nothing is cached across callers.
 */
@Injectable()
export class AccountLoaderFactory {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  create(): AccountLoaders {
    const options = { maxBatchSize: BATCH_KEYS_MAX };
    return {
      balances: new DataLoader((accountIds) => this.balances(accountIds), options),
      latestReceipt: new DataLoader((accountIds) => this.latestReceipts(accountIds), options),
      positions: new DataLoader((keys) => this.positionPages(keys), {
        ...options,
        cacheKeyFn: (key) => `${key.accountId}:${key.first}:${key.afterInstrumentId ?? ''}`,
      }),
    };
  }

  private async balances(accountIds: readonly string[]): Promise<Balance[][]> {
    const rows: { account_id: string; asset: string; balance: string }[] = await this.dataSource.query(
      `SELECT account_id, asset, balance::text AS balance FROM account_balance
        WHERE account_id = ANY($1::uuid[]) ORDER BY account_id, asset`,
      [accountIds],
    );
    const byAccount = groupBy(rows, (row) => row.account_id);
    return accountIds.map((id) =>
      (byAccount.get(id) ?? []).map((row) => ({ asset: row.asset, amount: new Decimal(row.balance) })),
    );
  }

  private async latestReceipts(accountIds: readonly string[]): Promise<(LatestReceiptRow | null)[]> {
    const rows: { id: string; account_id: string; inputs_hash: string; result: unknown; computed_at: Date }[] =
      await this.dataSource.query(
        `SELECT DISTINCT ON (account_id) id::text AS id, account_id, inputs_hash, result, computed_at
           FROM margin_receipt WHERE account_id = ANY($1::uuid[]) ORDER BY account_id, id DESC`,
        [accountIds],
      );
    const byAccount = new Map(rows.map((row) => [row.account_id, row]));
    return accountIds.map((id) => {
      const row = byAccount.get(id);
      return row === undefined
        ? null
        : { id: row.id, inputsHash: row.inputs_hash, result: row.result, computedAt: row.computed_at };
    });
  }

  /** Keys asking for the same page shape (first, after) share one query, ranked per account. */
  private async positionPages(keys: readonly PositionPageKey[]): Promise<Page<Position>[]> {
    const shapes = groupBy(keys, (key) => `${key.first}:${key.afterInstrumentId ?? ''}`);
    const pages = new Map<PositionPageKey, Page<Position>>();
    for (const group of shapes.values()) {
      const [{ first, afterInstrumentId }] = group as [PositionPageKey, ...PositionPageKey[]];
      const rows = await this.positionRows(
        group.map((key) => key.accountId),
        first,
        afterInstrumentId,
      );
      const byAccount = groupBy(rows, (row) => row.account_id);
      for (const key of group) {
        pages.set(
          key,
          toPage(
            byAccount.get(key.accountId) ?? [],
            first,
            (row) => encodeCursor(POSITION_CURSOR_KIND, row.instrument_id),
            toPosition,
          ),
        );
      }
    }
    return keys.map((key) => pages.get(key) as Page<Position>);
  }

  private positionRows(accountIds: readonly string[], first: number, afterInstrumentId: string | null) {
    // first + 1 rows per account: the extra one only tells whether a next page exists.
    return this.dataSource.query(
      `SELECT ranked.*, i.symbol, mark.price::text AS mark_price
         FROM (SELECT p.account_id, p.instrument_id, p.quantity::text AS quantity,
                      p.average_entry_price::text AS average_entry_price, p.realised_pnl::text AS realised_pnl,
                      p.updated_at,
                      row_number() OVER (PARTITION BY p.account_id ORDER BY p.instrument_id) AS rank
                 FROM position p
                WHERE p.account_id = ANY($1::uuid[]) AND ($2::uuid IS NULL OR p.instrument_id > $2::uuid)) ranked
         JOIN instrument i ON i.id = ranked.instrument_id
         LEFT JOIN LATERAL (SELECT m.price FROM mark_price m WHERE m.instrument_id = ranked.instrument_id
                             ORDER BY m.observed_at DESC, m.id DESC LIMIT 1) mark ON true
        WHERE ranked.rank <= $3
        ORDER BY ranked.account_id, ranked.instrument_id`,
      [accountIds, afterInstrumentId, first + 1],
    ) as Promise<PositionRow[]>;
  }
}

interface PositionRow {
  readonly account_id: string;
  readonly instrument_id: string;
  readonly symbol: string;
  readonly quantity: string;
  readonly average_entry_price: string | null;
  readonly realised_pnl: string;
  readonly mark_price: string | null;
  readonly updated_at: Date;
}

function toPosition(row: PositionRow): Position {
  return {
    instrumentId: row.instrument_id,
    symbol: row.symbol,
    quantity: new Decimal(row.quantity),
    averageEntryPrice: row.average_entry_price === null ? null : new Decimal(row.average_entry_price),
    realisedPnl: new Decimal(row.realised_pnl),
    markPrice: row.mark_price === null ? null : new Decimal(row.mark_price),
    updatedAt: row.updated_at,
  };
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}
