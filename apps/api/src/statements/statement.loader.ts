import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Decimal } from '@novation/money';
import DataLoader from 'dataloader';
import { DataSource, type EntityManager } from 'typeorm';
import { toPage, type Page } from '../common/pagination/connection.model.js';
import { encodeCursor } from '../common/pagination/cursor.js';
import type { StatementLine } from './models/statement-line.model.js';

export const STATEMENT_CURSOR_KIND = 'statement';
const UUID_IN_TEXT = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g;
const REDACTED = '<redacted>';
/** Most accounts per batch: a page of accounts is at most 100, so one batch per page. */
const BATCH_KEYS_MAX = 100;

/** A statement request, validated at the boundary. */
export interface StatementFilter {
  readonly from: Date | null;
  readonly to: Date | null;
  readonly asset: string | null;
}

/** One page of one account's statement; the account is already known to belong to `memberFirmId`. */
export interface StatementPageKey {
  readonly accountId: string;
  readonly memberFirmId: string;
  readonly filter: StatementFilter;
  readonly first: number;
  /** The decoded cursor: only postings with a smaller id. */
  readonly beforePostingId: string | null;
}

interface StatementRow {
  readonly account_id: string;
  readonly posting_id: string;
  readonly journal_entry_id: string;
  readonly asset: string;
  readonly amount: string;
  readonly kind: string;
  readonly description: string;
  readonly idempotency_key: string;
  readonly created_at: Date;
}

/**
 * Per-request DataLoaders of statement pages: `Account.statement` over a page of accounts costs one
 * transaction of four queries per distinct (filter, page) shape, whatever the number of accounts. Loaders
 * live in a WeakMap keyed by the request's GraphQL context object, so nothing is shared between requests.
 */
@Injectable()
export class StatementLoaderFactory {
  private readonly perRequest = new WeakMap<object, DataLoader<StatementPageKey, Page<StatementLine>, string>>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  forRequest(context: object): DataLoader<StatementPageKey, Page<StatementLine>, string> {
    const existing = this.perRequest.get(context);
    if (existing !== undefined) return existing;
    const loader = new DataLoader<StatementPageKey, Page<StatementLine>, string>((keys) => this.load(keys), {
      maxBatchSize: BATCH_KEYS_MAX,
      cacheKeyFn: (key) => `${key.accountId}|${shapeOf(key)}`,
    });
    this.perRequest.set(context, loader);
    return loader;
  }

  private async load(keys: readonly StatementPageKey[]): Promise<Page<StatementLine>[]> {
    const shapes = new Map<string, StatementPageKey[]>();
    for (const key of keys) shapes.set(shapeOf(key), [...(shapes.get(shapeOf(key)) ?? []), key]);
    const pages = new Map<StatementPageKey, Page<StatementLine>>();
    for (const group of shapes.values()) {
      const [shape] = group as [StatementPageKey, ...StatementPageKey[]];
      const accountIds = [...new Set(group.map((key) => key.accountId))];
      // One snapshot for the pages and their balances: a concurrent entry cannot land between the reads.
      const byAccount = await this.dataSource.transaction('REPEATABLE READ', (manager) =>
        readPages(manager, accountIds, shape),
      );
      for (const key of group) pages.set(key, byAccount.get(key.accountId) as Page<StatementLine>);
    }
    return keys.map((key) => pages.get(key) as Page<StatementLine>);
  }
}

function shapeOf(key: StatementPageKey): string {
  const { memberFirmId, filter, first, beforePostingId } = key;
  return [
    memberFirmId,
    filter.from?.toISOString() ?? '',
    filter.to?.toISOString() ?? '',
    filter.asset ?? '',
    first,
    beforePostingId ?? '',
  ].join('|');
}

async function readPages(
  manager: EntityManager,
  accountIds: readonly string[],
  shape: StatementPageKey,
): Promise<Map<string, Page<StatementLine>>> {
  const rows = await pageRows(manager, accountIds, shape);
  const byAccount = new Map<string, StatementRow[]>(accountIds.map((id) => [id, []]));
  for (const row of rows) byAccount.get(row.account_id)?.push(row);
  const onPage = [...byAccount.values()].flatMap((accountRows) => accountRows.slice(0, shape.first));
  const balances = await balancesAfter(manager, onPage, shape.filter.asset);
  const visibleIds = await visibleIdsOf(manager, shape.memberFirmId, onPage);
  const ownKeyPrefix = `api:member:${shape.memberFirmId}:`;
  const pages = new Map<string, Page<StatementLine>>();
  for (const [accountId, accountRows] of byAccount) {
    pages.set(
      accountId,
      toPage(
        accountRows,
        shape.first,
        (row) => encodeCursor(STATEMENT_CURSOR_KIND, row.posting_id),
        (row) => ({
          postingId: row.posting_id,
          journalEntryId: row.journal_entry_id,
          kind: row.kind,
          description: row.description.replace(UUID_IN_TEXT, (id) =>
            visibleIds.has(id.toLowerCase()) ? id : REDACTED,
          ),
          idempotencyKey: row.idempotency_key.startsWith(ownKeyPrefix)
            ? row.idempotency_key.slice(ownKeyPrefix.length)
            : null,
          asset: row.asset,
          amount: new Decimal(row.amount),
          balanceAfter: balances.get(row.posting_id) as Decimal,
          createdAt: row.created_at,
        }),
      ),
    );
  }
  return pages;
}

/**
 * first + 1 postings per account, newest first: per account a backward walk of posting (account_id, id)
 * or (account_id, asset, id) that stops after the page (a LATERAL join, so the LIMIT applies per account).
 * Conditions are added only when given, so each query shape is planned for its own index.
 */
function pageRows(
  manager: EntityManager,
  accountIds: readonly string[],
  shape: StatementPageKey,
): Promise<StatementRow[]> {
  const parameters: unknown[] = [accountIds];
  const conditions = ['p.account_id = owner.account_id'];
  const add = (condition: string, value: unknown) => {
    parameters.push(value);
    conditions.push(condition.replace('?', `$${parameters.length}`));
  };
  if (shape.filter.asset !== null) add('p.asset = ?::varchar', shape.filter.asset);
  if (shape.filter.from !== null) add('je.created_at >= ?::timestamptz', shape.filter.from);
  if (shape.filter.to !== null) add('je.created_at < ?::timestamptz', shape.filter.to);
  if (shape.beforePostingId !== null) add('p.id < ?::bigint', shape.beforePostingId);
  parameters.push(shape.first + 1);
  return manager.query(
    `SELECT owner.account_id::text AS account_id, line.*
       FROM unnest($1::uuid[]) AS owner(account_id)
       CROSS JOIN LATERAL (
         SELECT p.id::text AS posting_id, p.journal_entry_id::text AS journal_entry_id, p.asset,
                p.amount::text AS amount, je.kind, je.description, je.idempotency_key, je.created_at
           FROM posting p JOIN journal_entry je ON je.id = p.journal_entry_id
          WHERE ${conditions.join(' AND ')}
          ORDER BY p.id DESC
          LIMIT $${parameters.length}) AS line
      ORDER BY owner.account_id, line.posting_id::bigint DESC`,
    parameters,
  );
}

/**
 * The balance just after each posting on the pages: per account and asset, the sum of the postings before
 * the page's oldest one (an index-only scan, the same work as the account_balance view), then every
 * posting of the page's span (in the page's asset, when filtered) added in ledger order. The span is walked
 * in full, not only the page: a date
 * filter on the entry time (which can be a few milliseconds out of ledger order between concurrent entries)
 * may leave out a posting inside it.
 */
async function balancesAfter(
  manager: EntityManager,
  onPage: readonly StatementRow[],
  asset: string | null,
): Promise<Map<string, Decimal>> {
  const spans = new Map<string, { oldest: bigint; newest: bigint }>();
  for (const row of onPage) {
    const id = BigInt(row.posting_id);
    const span = spans.get(row.account_id);
    if (span === undefined) spans.set(row.account_id, { oldest: id, newest: id });
    else
      spans.set(row.account_id, {
        oldest: id < span.oldest ? id : span.oldest,
        newest: id > span.newest ? id : span.newest,
      });
  }
  const result = new Map<string, Decimal>();
  if (spans.size === 0) return result;
  const accountIds = [...spans.keys()];
  const parameters = [
    accountIds,
    accountIds.map((id) => String(spans.get(id)?.oldest)),
    accountIds.map((id) => String(spans.get(id)?.newest)),
  ];
  const sums: { account_id: string; asset: string; total: string }[] = await manager.query(
    `SELECT span.account_id::text AS account_id, p.asset, sum(p.amount)::text AS total
       FROM unnest($1::uuid[], $2::bigint[]) AS span(account_id, oldest)
       JOIN posting p ON p.account_id = span.account_id AND p.id < span.oldest
      GROUP BY span.account_id, p.asset`,
    parameters.slice(0, 2),
  );
  const inSpan: { account_id: string; id: string; asset: string; amount: string }[] = await manager.query(
    `SELECT span.account_id::text AS account_id, p.id::text AS id, p.asset, p.amount::text AS amount
       FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) AS span(account_id, oldest, newest)
       JOIN posting p ON p.account_id = span.account_id AND p.id BETWEEN span.oldest AND span.newest
      WHERE $4::varchar IS NULL OR p.asset = $4::varchar
      ORDER BY p.id`,
    [...parameters, asset],
  );
  const running = new Map<string, Decimal>();
  for (const sum of sums) running.set(`${sum.account_id}|${sum.asset}`, new Decimal(sum.total));
  for (const posting of inSpan) {
    const key = `${posting.account_id}|${posting.asset}`;
    const balance = (running.get(key) ?? new Decimal(0)).plus(posting.amount);
    running.set(key, balance);
    result.set(posting.id, balance);
  }
  return result;
}

/**
 * Of the uuids named in the pages' descriptions, those the caller may see: its firm's accounts,
 * instruments and venues. Any other (another firm's account, a house account) is redacted. One query.
 */
async function visibleIdsOf(
  manager: EntityManager,
  memberFirmId: string,
  onPage: readonly StatementRow[],
): Promise<Set<string>> {
  const named = new Set<string>();
  for (const row of onPage) for (const id of row.description.match(UUID_IN_TEXT) ?? []) named.add(id.toLowerCase());
  if (named.size === 0) return named;
  const rows: { id: string }[] = await manager.query(
    `SELECT id::text AS id FROM account WHERE id = ANY($1::uuid[]) AND member_firm_id = $2
     UNION ALL SELECT id::text FROM instrument WHERE id = ANY($1::uuid[])
     UNION ALL SELECT id::text FROM venue WHERE id = ANY($1::uuid[])`,
    [[...named], memberFirmId],
  );
  return new Set(rows.map((row) => row.id));
}
