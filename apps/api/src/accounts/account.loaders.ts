import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Decimal } from '@novation/money';
import DataLoader from 'dataloader';
import { DataSource } from 'typeorm';
import { toPage, type Page } from '../common/pagination/connection.model.js';
import { encodeCursor } from '../common/pagination/cursor.js';
import type { InvalidatingCache } from '../common/read-model/invalidating-cache.js';
import { ReadModelService } from '../common/read-model/read-model.service.js';
import type { ResponseReads } from '../common/read-model/response-cache.js';
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
 * the number of accounts on the page. The loaders are per request; what they read goes through the read
 * model's caches (ReadModelService), which change notifications keep exact, so a repeated query costs
 * no database round trip. Marks are cached per instrument and merged into position pages at read time,
 * so a new mark invalidates one instrument, not every account holding it.
 */
@Injectable()
export class AccountLoaderFactory {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly readModel: ReadModelService,
  ) {}

  /** `reads`, when given, records every read-model group the loaders read (the response cache's dependencies). */
  create(reads: ResponseReads | null = null): AccountLoaders {
    const options = { maxBatchSize: BATCH_KEYS_MAX };
    return {
      balances: new DataLoader((accountIds) => this.balances(accountIds, reads), options),
      latestReceipt: new DataLoader((accountIds) => this.latestReceipts(accountIds, reads), options),
      positions: new DataLoader((keys) => this.positionPages(keys, reads), {
        ...options,
        cacheKeyFn: (key) => `${key.accountId}:${key.first}:${key.afterInstrumentId ?? ''}`,
      }),
    };
  }

  private balances(accountIds: readonly string[], reads: ResponseReads | null): Promise<Balance[][]> {
    return throughCache(
      this.readModel.accounts,
      reads?.accounts,
      accountIds,
      (id) => id,
      BALANCES_KEY,
      (misses) => this.balanceRows(misses),
    );
  }

  private async balanceRows(accountIds: readonly string[]): Promise<Balance[][]> {
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

  private latestReceipts(
    accountIds: readonly string[],
    reads: ResponseReads | null,
  ): Promise<(LatestReceiptRow | null)[]> {
    return throughCache(
      this.readModel.accounts,
      reads?.accounts,
      accountIds,
      (id) => id,
      LATEST_RECEIPT_KEY,
      (misses) => this.latestReceiptRows(misses),
    );
  }

  private async latestReceiptRows(accountIds: readonly string[]): Promise<(LatestReceiptRow | null)[]> {
    const rows: { id: string; account_id: string; inputs_hash: string; result: unknown; computed_at: Date }[] =
      await this.dataSource.query(
        // One probe of margin_receipt_account_latest per account: a DISTINCT ON read every receipt the
        // accounts ever had (a margin run per price move adds one each time).
        `SELECT latest.id::text AS id, latest.account_id, latest.inputs_hash, latest.result, latest.computed_at
           FROM (SELECT DISTINCT key FROM unnest($1::uuid[]) AS wanted(key)) wanted
           CROSS JOIN LATERAL (
             SELECT id, account_id, inputs_hash, result, computed_at FROM margin_receipt
              WHERE account_id = wanted.key ORDER BY id DESC LIMIT 1) latest`,
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

  /** Position pages from the account cache, marks from the instrument cache, merged. */
  private async positionPages(
    keys: readonly PositionPageKey[],
    reads: ResponseReads | null,
  ): Promise<Page<Position>[]> {
    const pages = await throughCache(
      this.readModel.accounts,
      reads?.accounts,
      keys,
      (key) => key.accountId,
      (key) => `positions:${key.first}:${key.afterInstrumentId ?? ''}`,
      (misses) => this.positionPagesWithoutMarks(misses),
    );
    const instrumentIds = [...new Set(pages.flatMap((page) => page.edges.map((edge) => edge.node.instrumentId)))];
    const marks = await throughCache(
      this.readModel.marks,
      reads?.marks,
      instrumentIds,
      (id) => id,
      MARK_KEY,
      (misses) => this.latestMarks(misses),
    );
    const markOf = new Map(instrumentIds.map((id, index) => [id, marks[index] ?? null]));
    return pages.map((page) => ({
      ...page,
      edges: page.edges.map((edge) => ({
        ...edge,
        node: { ...edge.node, markPrice: markOf.get(edge.node.instrumentId) ?? null },
      })),
    }));
  }

  private async latestMarks(instrumentIds: readonly string[]): Promise<(Decimal | null)[]> {
    const rows: { instrument_id: string; price: string }[] = await this.dataSource.query(
      `SELECT ids.id AS instrument_id, mark.price::text AS price
         FROM unnest($1::uuid[]) AS ids(id)
         JOIN LATERAL (SELECT m.price FROM mark_price m WHERE m.instrument_id = ids.id
                        ORDER BY m.observed_at DESC, m.id DESC LIMIT 1) mark ON true`,
      [instrumentIds],
    );
    const byInstrument = new Map(rows.map((row) => [row.instrument_id, new Decimal(row.price)]));
    return instrumentIds.map((id) => byInstrument.get(id) ?? null);
  }

  /** Keys asking for the same page shape (first, after) share one query, ranked per account. */
  private async positionPagesWithoutMarks(keys: readonly PositionPageKey[]): Promise<Page<Position>[]> {
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
      `SELECT ranked.*, i.symbol
         FROM (SELECT p.account_id, p.instrument_id, p.quantity::text AS quantity,
                      p.average_entry_price::text AS average_entry_price, p.realised_pnl::text AS realised_pnl,
                      p.updated_at,
                      row_number() OVER (PARTITION BY p.account_id ORDER BY p.instrument_id) AS rank
                 FROM position p
                WHERE p.account_id = ANY($1::uuid[]) AND ($2::uuid IS NULL OR p.instrument_id > $2::uuid)) ranked
         JOIN instrument i ON i.id = ranked.instrument_id
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
  readonly updated_at: Date;
}

function toPosition(row: PositionRow): Position {
  return {
    instrumentId: row.instrument_id,
    symbol: row.symbol,
    quantity: new Decimal(row.quantity),
    averageEntryPrice: row.average_entry_price === null ? null : new Decimal(row.average_entry_price),
    realisedPnl: new Decimal(row.realised_pnl),
    // Merged from the mark cache by positionPages.
    markPrice: null,
    updatedAt: row.updated_at,
  };
}

const BALANCES_KEY = (): string => 'balances';
const LATEST_RECEIPT_KEY = (): string => 'latest-receipt';
const MARK_KEY = (): string => 'mark';

/**
 * The values of `keys`: cached ones from `cache`, the rest from one `load` of the misses (in order),
 * stored unless their group changed while they were read (see InvalidatingCache). Every group read is
 * added to `readGroups` when given.
 */
async function throughCache<K, V>(
  cache: InvalidatingCache<unknown>,
  readGroups: Set<string> | undefined,
  keys: readonly K[],
  groupOf: (key: K) => string,
  entryOf: (key: K) => string,
  load: (misses: readonly K[]) => Promise<V[]>,
): Promise<V[]> {
  const values: V[] = new Array<V>(keys.length);
  const missing: number[] = [];
  keys.forEach((key, index) => {
    const group = groupOf(key);
    readGroups?.add(group);
    const cached = cache.get(group, entryOf(key));
    if (cached === undefined) missing.push(index);
    else values[index] = cached as V;
  });
  if (missing.length === 0) return values;
  const ticket = cache.ticket();
  const loaded = await load(missing.map((index) => keys[index] as K));
  missing.forEach((index, position) => {
    const key = keys[index] as K;
    const value = loaded[position] as V;
    values[index] = value;
    cache.set(ticket, groupOf(key), entryOf(key), value);
  });
  return values;
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
