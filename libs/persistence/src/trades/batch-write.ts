import type { EntityManager } from 'typeorm';
import { assertBalanced, hashEntry } from '../ledger.js';
import type { JournalEntryDraft } from '../ledger.js';
import { amountText } from './bulk-ledger.js';
import { arrayParameter, runQuery } from './sql.js';

/** One novated trade as stored: decimals as plain text, its journal entry if it moved money. */
export interface NovatedTradeRow {
  readonly venueTradeId: string;
  readonly instrumentId: string;
  readonly buyerAccountId: string;
  readonly sellerAccountId: string;
  readonly quantity: string;
  readonly price: string;
  readonly buyerFee: string;
  readonly sellerFee: string;
  readonly executedAtEpochMs: number;
  readonly payloadHash: string;
  readonly journalEntry: JournalEntryDraft | null;
}

/** A position after the batch: compare-and-swap on the version read under its row lock. */
export interface NovatedPositionRow {
  readonly accountId: string;
  readonly instrumentId: string;
  readonly quantity: string;
  readonly averageEntryPrice: string | null;
  readonly realisedPnl: string;
  /** The venue trade id of the batch's last trade on this position (a trade of `trades`). */
  readonly lastVenueTradeId: string;
  readonly expectedVersion: string;
}

/**
 * Some journal entry key or venue trade id of the batch was already stored (a concurrent batch, or an
 * entry posted under a trade's key by someone else). The statement wrote the rest: the caller rolls the
 * transaction back and runs the batch again on the statement-per-table path, which sorts such cases out
 * entry by entry.
 */
export class BatchWriteConflict extends Error {
  constructor(what: string) {
    super(`batch write conflict: ${what}`);
  }
}

/**
 * Writes a novated batch in ONE statement (data-modifying CTEs): its journal entries, their postings, its
 * trades and the compare-and-swap of its positions. The same rows, order and checks as the
 * statement-per-table path (postJournalEntries, then the trade insert, then the position update), with
 * one round trip instead of four, and every account and instrument id sent once, as an index into a
 * dictionary, instead of once per posting, trade and position (uuid text is the costliest element
 * PostgreSQL parses). Each table's statement-level triggers (balance, references, read-model
 * notifications) fire once, at the end of the statement, and see every row of it.
 *
 * Throws BatchWriteConflict when any entry or trade was stored already (the caller rolls back), and an
 * Error when a position's version moved (cannot happen under the row locks the caller holds).
 * Returns the stored trade ids by venue trade id.
 */
export async function writeNovatedBatch(
  manager: EntityManager,
  venueId: string,
  trades: readonly NovatedTradeRow[],
  positions: readonly NovatedPositionRow[],
): Promise<Map<string, string>> {
  const accounts = new Dictionary();
  const instruments = new Dictionary();
  const entries = entryColumns(trades, accounts);
  const sortedTrades = [...trades].sort((a, b) => compareText(a.venueTradeId, b.venueTradeId));
  const column = <Row>(rows: readonly Row[], pick: (row: Row) => string | null) => arrayParameter(rows.map(pick));
  const { records } = await runQuery<{
    entries: number;
    postings: number;
    positions: number;
    trades: TradeId[] | null;
  }>(manager, WRITE_BATCH_SQL, [
    venueId,
    // $2: the entries, sorted by key: two batches inserting overlapping keys wait in the same order.
    arrayParameter(entries.keys),
    arrayParameter(entries.hashes),
    arrayParameter(entries.kinds),
    arrayParameter(entries.descriptions),
    // $6: postings, by entry ordinal and account index.
    arrayParameter(entries.postingEntries),
    arrayParameter(entries.postingAccounts),
    arrayParameter(entries.postingAssets),
    arrayParameter(entries.postingAmounts),
    // $10: trades, sorted by venue trade id (as the statement-per-table path inserts them).
    column(sortedTrades, (trade) => trade.venueTradeId),
    column(sortedTrades, (trade) => instruments.index(trade.instrumentId)),
    column(sortedTrades, (trade) => accounts.index(trade.buyerAccountId)),
    column(sortedTrades, (trade) => accounts.index(trade.sellerAccountId)),
    column(sortedTrades, (trade) => trade.quantity),
    column(sortedTrades, (trade) => trade.price),
    column(sortedTrades, (trade) => trade.buyerFee),
    column(sortedTrades, (trade) => trade.sellerFee),
    column(sortedTrades, (trade) => String(trade.executedAtEpochMs)),
    column(sortedTrades, (trade) => trade.payloadHash),
    column(sortedTrades, (trade) => entries.ordinalByTrade.get(trade.venueTradeId) ?? null),
    // $21: positions.
    column(positions, (position) => accounts.index(position.accountId)),
    column(positions, (position) => instruments.index(position.instrumentId)),
    column(positions, (position) => position.quantity),
    column(positions, (position) => position.averageEntryPrice),
    column(positions, (position) => position.realisedPnl),
    column(positions, (position) => position.lastVenueTradeId),
    column(positions, (position) => position.expectedVersion),
    // $28, $29: the dictionaries, complete only now.
    arrayParameter(accounts.values),
    arrayParameter(instruments.values),
  ]);
  const [result] = records;
  if (result === undefined) throw new Error('batch write returned no row');
  if (Number(result.entries) !== entries.keys.length) throw new BatchWriteConflict('a journal entry key exists');
  const stored = result.trades ?? [];
  if (stored.length !== trades.length) throw new BatchWriteConflict('a venue trade id exists');
  if (Number(result.postings) !== entries.postingAmounts.length) {
    throw new Error(`inserted ${result.postings} postings, expected ${entries.postingAmounts.length}`);
  }
  if (Number(result.positions) !== positions.length) {
    throw new Error(`position compare-and-swap updated ${result.positions} rows, expected ${positions.length}`);
  }
  return new Map(stored.map((trade) => [trade.venueTradeId, trade.id]));
}

interface TradeId {
  readonly id: string;
  readonly venueTradeId: string;
}

/** 1-based positions of distinct ids: PostgreSQL arrays are 1-based. */
class Dictionary {
  readonly values: string[] = [];
  private readonly indexes = new Map<string, string>();

  index(id: string): string {
    let index = this.indexes.get(id);
    if (index === undefined) {
      this.values.push(id);
      index = String(this.values.length);
      this.indexes.set(id, index);
    }
    return index;
  }
}

/** The entries of the batch's trades, sorted by key, and their postings in draft order. */
function entryColumns(trades: readonly NovatedTradeRow[], accounts: Dictionary) {
  const drafts = trades.flatMap((trade) =>
    trade.journalEntry === null ? [] : [{ venueTradeId: trade.venueTradeId, draft: trade.journalEntry }],
  );
  for (const { draft } of drafts) assertBalanced(draft);
  drafts.sort((a, b) => compareText(a.draft.idempotencyKey, b.draft.idempotencyKey));
  const columns = {
    keys: [] as string[],
    hashes: [] as string[],
    kinds: [] as string[],
    descriptions: [] as string[],
    postingEntries: [] as string[],
    postingAccounts: [] as string[],
    postingAssets: [] as string[],
    postingAmounts: [] as string[],
    ordinalByTrade: new Map<string, string>(),
  };
  drafts.forEach(({ venueTradeId, draft }, index) => {
    if (columns.keys.length > 0 && columns.keys[columns.keys.length - 1] === draft.idempotencyKey) {
      throw new BatchWriteConflict(`two entries of the batch share the key ${draft.idempotencyKey}`);
    }
    const ordinal = String(index + 1);
    columns.keys.push(draft.idempotencyKey);
    columns.hashes.push(hashEntry(draft));
    columns.kinds.push(draft.kind);
    columns.descriptions.push(draft.description);
    columns.ordinalByTrade.set(venueTradeId, ordinal);
    for (const posting of draft.postings) {
      columns.postingEntries.push(ordinal);
      columns.postingAccounts.push(accounts.index(posting.accountId));
      columns.postingAssets.push(posting.asset);
      columns.postingAmounts.push(amountText(posting.amount));
    }
  });
  return columns;
}

/** Code-unit order, as the hashes use: the same on every machine, whatever its locale. */
function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/**
 * Postings join the entries this statement inserted (RETURNING), so an entry whose key existed gets none
 * and is reported through the count. A trade's journal_entry_id and a position's last_trade_id come from
 * the rows inserted here, never from the client. Every INSERT keeps its input order (ORDER BY ordinal).
 * next_position is MATERIALIZED: joined inline, the estimate of the position join (three equalities on
 * computed keys: one row) made the planner loop over the trades for every position, 100 ms a batch.
 */
const WRITE_BATCH_SQL = `
  WITH entry_input AS (
    SELECT * FROM unnest($2::varchar[], $3::char(64)[], $4::varchar[], $5::text[]) WITH ORDINALITY
      AS input(idempotency_key, payload_hash, kind, description, ordinal)
  ), entry AS (
    INSERT INTO journal_entry (idempotency_key, payload_hash, kind, description)
    SELECT idempotency_key, payload_hash, kind, description FROM entry_input ORDER BY ordinal
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, idempotency_key
  ), entry_id AS (
    SELECT entry.id, entry_input.ordinal FROM entry JOIN entry_input USING (idempotency_key)
  ), posted AS (
    INSERT INTO posting (journal_entry_id, account_id, asset, amount)
    SELECT entry_id.id, ($28::uuid[])[posting.account_index], posting.asset, posting.amount
    FROM unnest($6::int[], $7::int[], $8::varchar[], $9::numeric[]) WITH ORDINALITY
      AS posting(entry_ordinal, account_index, asset, amount, ordinal)
    JOIN entry_id ON entry_id.ordinal = posting.entry_ordinal
    ORDER BY posting.ordinal
    RETURNING 1
  ), trade_input AS (
    SELECT * FROM unnest($10::varchar[], $11::int[], $12::int[], $13::int[], $14::numeric[], $15::numeric[],
                         $16::numeric[], $17::numeric[], $18::bigint[], $19::char(64)[], $20::int[]) WITH ORDINALITY
      AS input(venue_trade_id, instrument_index, buyer_index, seller_index, quantity, price, buyer_fee, seller_fee,
               executed_ms, payload_hash, entry_ordinal, ordinal)
  ), traded AS (
    INSERT INTO trade (venue_id, venue_trade_id, instrument_id, buyer_account_id, seller_account_id, quantity, price,
                       buyer_fee, seller_fee, executed_at, payload_hash, journal_entry_id)
    SELECT $1::uuid, trade_input.venue_trade_id, ($29::uuid[])[trade_input.instrument_index],
           ($28::uuid[])[trade_input.buyer_index], ($28::uuid[])[trade_input.seller_index], trade_input.quantity,
           trade_input.price, trade_input.buyer_fee, trade_input.seller_fee,
           timestamptz 'epoch' + trade_input.executed_ms * interval '1 millisecond', trade_input.payload_hash,
           entry_id.id
    FROM trade_input LEFT JOIN entry_id ON entry_id.ordinal = trade_input.entry_ordinal
    ORDER BY trade_input.ordinal
    ON CONFLICT (venue_id, venue_trade_id) DO NOTHING
    RETURNING id, venue_trade_id
  ), next_position AS MATERIALIZED (
    SELECT ($28::uuid[])[next.account_index] AS account_id, ($29::uuid[])[next.instrument_index] AS instrument_id,
           next.quantity, next.average_entry_price, next.realised_pnl, traded.id AS last_trade_id, next.expected_version
    FROM unnest($21::int[], $22::int[], $23::numeric[], $24::numeric[], $25::numeric[], $26::varchar[], $27::bigint[])
      AS next(account_index, instrument_index, quantity, average_entry_price, realised_pnl, last_venue_trade_id,
              expected_version)
    JOIN traded ON traded.venue_trade_id = next.last_venue_trade_id
  ), moved AS (
    UPDATE position SET quantity = next_position.quantity, average_entry_price = next_position.average_entry_price,
           realised_pnl = next_position.realised_pnl, last_trade_id = next_position.last_trade_id,
           version = position.version + 1, updated_at = now()
    FROM next_position
    WHERE position.account_id = next_position.account_id AND position.instrument_id = next_position.instrument_id
      AND position.version = next_position.expected_version
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM entry)::int AS entries, (SELECT count(*) FROM posted)::int AS postings,
         (SELECT count(*) FROM moved)::int AS positions,
         (SELECT json_agg(json_build_object('id', traded.id::text, 'venueTradeId', traded.venue_trade_id))
            FROM traded) AS trades`;
