import { setTimeout as sleep } from 'node:timers/promises';
import { ClearingError, noviateTrade, parseTradeInput, validateTrade } from '@novation/clearing';
import type { ClearingPosition, JournalEntryDraft, NovationHouseAccounts, VenueTrade } from '@novation/clearing';
import { Decimal } from '@novation/money';
import type { DataSource, EntityManager } from 'typeorm';
import type { AccountMarginState } from '../entities/membership.entity.js';
import { LedgerError } from '../ledger.js';
import { BatchWriteConflict, writeNovatedBatch } from './batch-write.js';
import type { NovatedPositionRow, NovatedTradeRow } from './batch-write.js';
import { postJournalEntries } from './bulk-ledger.js';
import { TradeRejectedError, TradeSubmissionError } from './errors.js';
import type { TradeRejection } from './errors.js';
import { tradePayloadHash } from './payload-hash.js';
import { UUID_PATTERN, loadBatchReferenceData } from './reference-data.js';
import type { AccountReference, BatchReferenceData, InstrumentReference } from './reference-data.js';
import { isRetryableTransactionError } from '../margin/transaction.js';
import { arrayParameter, present, runQuery } from './sql.js';
import type { TradeBatchResult, TradeOutcome, TradeSubmission, TradeSubmissionMode } from './types.js';

/** Most trades in one batch: bounds the transaction's size and lock set. */
export const TRADES_PER_BATCH_MAX = 1_000;

/** Attempts of one batch's transaction when PostgreSQL reports a serialization failure or deadlock. */
export const TRANSACTION_ATTEMPTS_MAX = 8;

/** numeric(38,18): the stored scale and the magnitude bound of quantities, prices and PnL. */
const STORED_SCALE = 18;
const STORED_MAGNITUDE_LIMIT = new Decimal('1e20');

interface ParsedItem {
  readonly index: number;
  readonly venueTradeId: string;
  readonly trade: VenueTrade | null;
  readonly payloadHash: string | null;
  readonly parseError: TradeRejection | null;
}

interface Candidate {
  readonly item: ParsedItem;
  readonly trade: VenueTrade;
  readonly payloadHash: string;
  readonly instrument: InstrumentReference;
  /** Sides whose account is under a margin call or in liquidation: they may only reduce their position. */
  readonly reduceOnly: { readonly buyer: boolean; readonly seller: boolean };
  /** The sides' keys in the position states, built once: a batch looks each up several times. */
  readonly positionKeys: { readonly buyer: string; readonly seller: string };
}

interface PositionState {
  readonly accountId: string;
  readonly instrumentId: string;
  position: ClearingPosition;
  /** The version the row has in the database right now (within this transaction). */
  version: bigint;
  /** The version read under the row lock, for the compare-and-swap of the atomic path. */
  readonly lockedVersion: bigint;
  lastTradeId: string | null;
  touched: boolean;
}

interface Novated {
  readonly candidate: Candidate;
  readonly buyer: ClearingPosition;
  readonly seller: ClearingPosition;
  readonly journalEntry: JournalEntryDraft | null;
}

/** Thrown inside the transaction so it rolls back; carries the result to report. */
class BatchAborted extends Error {
  constructor(readonly result: Omit<TradeBatchResult, 'attempts'>) {
    super('batch aborted');
  }
}

/** Another transaction stored one of this batch's trades after we looked: run the batch again. */
class ConcurrentTradeInsert extends Error {
  constructor() {
    super('a trade of this batch was stored concurrently');
  }
}

/**
 * Clears a batch of venue trades: parses and validates every trade, then novates the valid ones in one
 * PostgreSQL transaction. Per novated trade: a trade row (idempotent by venue and venue trade id, with the
 * SHA-256 of its canonical payload), one journal entry (idempotency key `trade:<venueId>:<tradeId>`) and
 * both positions updated by compare-and-swap on their version. Positions of the whole batch are created if
 * missing and locked up front in (account_id, instrument_id) order, so concurrent batches cannot deadlock
 * on them; a serialization failure or deadlock elsewhere reruns the transaction (bounded). An atomic
 * batch writes its entries, postings, trades and positions in one statement (writeNovatedBatch); when one
 * of its keys turns out to be stored already, the transaction is rolled back and run again with one
 * statement per table, which tells a duplicate from a reused key entry by entry.
 *
 * A retried trade with the same payload is reported `duplicate` with its original id; another payload
 * under the same venue trade id is rejected (TRADE_ID_REUSED). Batch-level faults throw
 * TradeSubmissionError (BATCH_TOO_LARGE, UNKNOWN_VENUE, INVALID_BATCH) and write nothing.
 */
export async function submitTrades(dataSource: DataSource, input: TradeSubmission): Promise<TradeBatchResult> {
  const submission = checkSubmission(input);
  const items = submission.trades.map((raw, index) => parseItem(raw, index));
  let writePath: WritePath = 'one-statement';
  for (let attempt = 1; ; attempt += 1) {
    try {
      const result = await dataSource.transaction((manager) => runBatch(manager, submission, items, writePath));
      return { ...result, attempts: attempt };
    } catch (error) {
      if (error instanceof BatchAborted) return { ...error.result, attempts: attempt };
      if (error instanceof BatchWriteConflict) writePath = 'statement-per-table';
      const retryable =
        isRetryableTransactionError(error) ||
        error instanceof ConcurrentTradeInsert ||
        error instanceof BatchWriteConflict;
      if (!retryable || attempt >= TRANSACTION_ATTEMPTS_MAX) throw error;
      await sleep(Math.floor(Math.random() * 10 * attempt) + attempt * 5);
    }
  }
}

function checkSubmission(input: TradeSubmission): TradeSubmission {
  if (typeof input !== 'object' || input === null) throw new TradeSubmissionError('INVALID_BATCH', 'not an object');
  const { venueId, trades, mode, nowEpochMs } = input as Partial<TradeSubmission>;
  if (!Array.isArray(trades)) throw new TradeSubmissionError('INVALID_BATCH', 'trades must be an array');
  if (mode !== 'atomic' && mode !== 'per-trade') {
    throw new TradeSubmissionError('INVALID_BATCH', "mode must be 'atomic' or 'per-trade'");
  }
  if (typeof nowEpochMs !== 'number' || !Number.isSafeInteger(nowEpochMs) || nowEpochMs < 0) {
    throw new TradeSubmissionError('INVALID_BATCH', 'nowEpochMs must be a non-negative integer');
  }
  if (typeof venueId !== 'string') throw new TradeSubmissionError('INVALID_BATCH', 'venueId must be a string');
  if (!UUID_PATTERN.test(venueId)) throw new TradeSubmissionError('UNKNOWN_VENUE', `no venue ${venueId}`);
  if (trades.length > TRADES_PER_BATCH_MAX) {
    throw new TradeSubmissionError('BATCH_TOO_LARGE', `${trades.length} trades, at most ${TRADES_PER_BATCH_MAX}`);
  }
  return { venueId, trades, mode, nowEpochMs };
}

function parseItem(raw: unknown, index: number): ParsedItem {
  const rawTradeId =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>)['tradeId'] : '';
  const venueTradeId = typeof rawTradeId === 'string' ? rawTradeId.slice(0, 128) : '';
  try {
    const trade = parseTradeInput(raw);
    return { index, venueTradeId, trade, payloadHash: tradePayloadHash(trade), parseError: null };
  } catch (error) {
    return { index, venueTradeId, trade: null, payloadHash: null, parseError: toRejection(error) };
  }
}

/**
 * How an atomic batch's rows are written: one statement for all tables (the fast path), or one per table
 * with each journal entry's key conflict resolved on its own (after the fast path met a conflict).
 */
type WritePath = 'one-statement' | 'statement-per-table';

async function runBatch(
  manager: EntityManager,
  submission: TradeSubmission,
  items: readonly ParsedItem[],
  writePath: WritePath,
): Promise<Omit<TradeBatchResult, 'attempts'>> {
  const outcomes: (TradeOutcome | undefined)[] = items.map(() => undefined);
  const parsed = items.flatMap((item) => (item.trade === null ? [] : [item.trade]));
  const instrumentIds = uniqueUuids(parsed.map((trade) => trade.instrumentId));
  // A shared lock on the instruments before their status is read: a settlement run (expiry, variation
  // margin, funding) locks its instrument FOR UPDATE, so a trade either commits before the run starts or
  // sees its result (an expired instrument is then refused), never opens a position the run missed.
  await manager.query('SELECT id FROM instrument WHERE id = ANY($1::uuid[]) ORDER BY id FOR SHARE', [
    [...instrumentIds].sort(),
  ]);
  const reference = await loadBatchReferenceData(
    manager,
    submission.venueId,
    instrumentIds,
    uniqueUuids(parsed.flatMap((trade) => [trade.buyerAccountId, trade.sellerAccountId])),
    [...new Set(parsed.map((trade) => trade.tradeId))],
  );
  if (!reference.venueExists) throw new TradeSubmissionError('UNKNOWN_VENUE', `no venue ${submission.venueId}`);

  const candidates: Candidate[] = [];
  const candidateByTradeId = new Map<string, Candidate>();
  const repeats: { item: ParsedItem; of: Candidate }[] = [];
  for (const item of items) {
    if (item.trade === null || item.payloadHash === null) {
      outcomes[item.index] = rejected(item, item.parseError ?? unknownRejection());
      continue;
    }
    const { trade, payloadHash } = item;
    if (trade.venueId !== submission.venueId) {
      // Before the idempotency lookup: another venue's trade id says nothing about this venue's trades.
      outcomes[item.index] = rejected(item, toRejection(venueMismatch(trade, submission)));
      continue;
    }
    const stored = reference.storedTrades.get(trade.tradeId);
    const earlier = candidateByTradeId.get(trade.tradeId);
    if (stored !== undefined || earlier !== undefined) {
      const originalHash = stored?.payloadHash ?? earlier?.payloadHash;
      if (originalHash !== payloadHash) {
        outcomes[item.index] = rejected(item, {
          code: 'TRADE_ID_REUSED',
          field: 'tradeId',
          message: `venue trade id ${trade.tradeId} was already used for a different trade`,
        });
      } else if (stored !== undefined) {
        outcomes[item.index] = { venueTradeId: item.venueTradeId, status: 'duplicate', tradeId: stored.id };
      } else if (earlier !== undefined) {
        repeats.push({ item, of: earlier });
      }
      continue;
    }
    try {
      const instrument = checkTrade(trade, reference, submission);
      const reduceOnly = {
        buyer: REDUCE_ONLY_STATES.has(reference.accounts.get(trade.buyerAccountId)?.marginState ?? 'healthy'),
        seller: REDUCE_ONLY_STATES.has(reference.accounts.get(trade.sellerAccountId)?.marginState ?? 'healthy'),
      };
      const positionKeys = {
        buyer: positionKey(trade.buyerAccountId, trade.instrumentId),
        seller: positionKey(trade.sellerAccountId, trade.instrumentId),
      };
      const candidate = { item, trade, payloadHash, instrument, reduceOnly, positionKeys };
      candidates.push(candidate);
      candidateByTradeId.set(trade.tradeId, candidate);
    } catch (error) {
      outcomes[item.index] = rejected(item, toRejection(error));
    }
  }
  const abortIfAtomic = (): void => {
    if (submission.mode === 'atomic' && outcomes.some((outcome) => outcome?.status === 'rejected')) {
      throw new BatchAborted(abortedResult(submission.mode, items, outcomes, repeats));
    }
  };
  abortIfAtomic();

  if (candidates.length > 0) {
    const { states, created } = await lockPositions(manager, candidates);
    if (submission.mode === 'atomic') {
      await novateAtomically(
        manager,
        submission.venueId,
        candidates,
        { states, house: reference.houseAccounts, writePath },
        outcomes,
      );
      abortIfAtomic();
    } else {
      await novateTradeByTrade(manager, submission.venueId, candidates, states, reference.houseAccounts, outcomes);
      await deleteUnusedPositions(manager, states, created);
    }
  }
  for (const { item, of } of repeats) {
    const original = outcomes[of.item.index];
    outcomes[item.index] =
      original?.status === 'novated' && original.tradeId !== undefined
        ? { venueTradeId: item.venueTradeId, status: 'duplicate', tradeId: original.tradeId }
        : rejected(item, original?.error ?? unknownRejection());
  }
  return finish(submission.mode, items, outcomes);
}

/** Checks one parsed trade against stored reference data, then validateTrade; returns its instrument. */
function checkTrade(
  trade: VenueTrade,
  reference: BatchReferenceData,
  submission: TradeSubmission,
): InstrumentReference {
  if (trade.venueId !== submission.venueId) throw venueMismatch(trade, submission);
  const instrument = reference.instruments.get(trade.instrumentId);
  if (instrument === undefined)
    throw new TradeRejectedError('UNKNOWN_INSTRUMENT', 'instrumentId', 'is not an instrument');
  if (instrument.venueId !== submission.venueId) {
    throw new TradeRejectedError('INSTRUMENT_NOT_LISTED', 'instrumentId', 'is not listed by this venue');
  }
  checkAccount(reference.accounts.get(trade.buyerAccountId), 'buyerAccountId', trade.instrumentId);
  checkAccount(reference.accounts.get(trade.sellerAccountId), 'sellerAccountId', trade.instrumentId);
  const instrumentExpired =
    instrument.status !== 'active' ||
    (instrument.expiresAtEpochMs !== null && instrument.expiresAtEpochMs <= submission.nowEpochMs);
  validateTrade(trade, {
    instrument: instrument.domain,
    quantityStep: instrument.quantityStep,
    ...(instrument.priceTick === undefined ? {} : { priceTick: instrument.priceTick }),
    settlementAssetScale: instrument.settlementAssetScale,
    nowEpochMs: submission.nowEpochMs,
    instrumentExpired,
  });
  if (instrument.domain.kind === 'spot') {
    throw new ClearingError('UNSUPPORTED_INSTRUMENT', 'instrumentId', 'spot is delivery-settled, not novated');
  }
  assertStorable(trade.quantity, 'quantity');
  assertStorable(trade.price, 'price');
  return instrument;
}

function venueMismatch(trade: VenueTrade, submission: TradeSubmission): TradeRejectedError {
  return new TradeRejectedError(
    'VENUE_MISMATCH',
    'venueId',
    `is ${trade.venueId}, the batch is for ${submission.venueId}`,
  );
}

function checkAccount(account: AccountReference | undefined, field: string, instrumentId: string): void {
  if (account === undefined) throw new TradeRejectedError('UNKNOWN_ACCOUNT', field, 'is not an account');
  if (account.kind === 'house') throw new TradeRejectedError('ACCOUNT_NOT_ALLOWED', field, 'is a house account');
  if (account.status !== 'active') {
    throw new TradeRejectedError('ACCOUNT_NOT_ALLOWED', field, `is ${account.status}, not active`);
  }
  if (account.kind === 'isolated' && account.isolatedInstrumentId !== instrumentId) {
    throw new TradeRejectedError('ACCOUNT_NOT_ALLOWED', field, 'is isolated to another instrument');
  }
}

/** A value numeric(38,18) holds exactly: refused, never rounded by PostgreSQL. */
function assertStorable(value: Decimal, field: string): void {
  if (!value.isFinite() || value.abs().gte(STORED_MAGNITUDE_LIMIT) || value.decimalPlaces() > STORED_SCALE) {
    throw new ClearingError('OUT_OF_RANGE', field, `must fit numeric(38,18), got ${value.toString()}`);
  }
}

const positionKey = (accountId: string, instrumentId: string): string => `${accountId}|${instrumentId}`;

/**
 * Creates the batch's missing position rows, then locks all of them in one statement, both in
 * (account_id, instrument_id) order: concurrent batches take their locks in the same order.
 */
async function lockPositions(
  manager: EntityManager,
  candidates: readonly Candidate[],
): Promise<{ states: Map<string, PositionState>; created: Set<string> }> {
  const pairs = new Map<string, { accountId: string; instrumentId: string }>();
  for (const { trade } of candidates) {
    for (const accountId of [trade.buyerAccountId, trade.sellerAccountId]) {
      pairs.set(positionKey(accountId, trade.instrumentId), { accountId, instrumentId: trade.instrumentId });
    }
  }
  const sorted = [...pairs.values()].sort(
    (a, b) => compareText(a.accountId, b.accountId) || compareText(a.instrumentId, b.instrumentId),
  );
  const accountIds = arrayParameter(sorted.map((pair) => pair.accountId));
  const instrumentIds = arrayParameter(sorted.map((pair) => pair.instrumentId));
  const inserted = await runQuery<{ account_id: string; instrument_id: string }>(
    manager,
    `INSERT INTO position (account_id, instrument_id)
     SELECT account_id, instrument_id FROM unnest($1::uuid[], $2::uuid[]) AS pair(account_id, instrument_id)
     ORDER BY account_id, instrument_id
     ON CONFLICT (account_id, instrument_id) DO NOTHING RETURNING account_id, instrument_id`,
    [accountIds, instrumentIds],
  );
  const locked = await runQuery<{
    account_id: string;
    instrument_id: string;
    quantity: string;
    average_entry_price: string | null;
    realised_pnl: string;
    version: string;
    last_trade_id: string | null;
  }>(
    manager,
    `SELECT position.account_id, position.instrument_id, position.quantity::text AS quantity,
            position.average_entry_price::text AS average_entry_price, position.realised_pnl::text AS realised_pnl,
            position.version::text AS version, position.last_trade_id::text AS last_trade_id
     FROM position JOIN unnest($1::uuid[], $2::uuid[]) AS pair(account_id, instrument_id)
       ON position.account_id = pair.account_id AND position.instrument_id = pair.instrument_id
     ORDER BY position.account_id, position.instrument_id
     FOR UPDATE OF position`,
    [accountIds, instrumentIds],
  );
  if (locked.records.length !== sorted.length) {
    throw new Error(`locked ${locked.records.length} positions, expected ${sorted.length}`);
  }
  const states = new Map<string, PositionState>();
  for (const row of locked.records) {
    const version = BigInt(row.version);
    states.set(positionKey(row.account_id, row.instrument_id), {
      accountId: row.account_id,
      instrumentId: row.instrument_id,
      position: {
        quantity: new Decimal(row.quantity),
        averageEntryPrice: row.average_entry_price === null ? null : new Decimal(row.average_entry_price),
        realisedPnl: new Decimal(row.realised_pnl),
      },
      version,
      lockedVersion: version,
      lastTradeId: row.last_trade_id,
      touched: false,
    });
  }
  const created = new Set(inserted.records.map((row) => positionKey(row.account_id, row.instrument_id)));
  return { states, created };
}

/**
 * Called when the ledger refuses a trade's entry (same key, other payload). Every trade locks both its
 * positions, so a concurrent batch carrying the same trade held those locks until it committed: now that
 * the locks are ours, such a trade is visible, and its entry (posted against older positions) differs from
 * ours. The batch is then run again and reports the trade as a duplicate, instead of refusing it. (Without
 * a ledger refusal, a trade stored meanwhile makes the trade INSERT conflict, with the same outcome.)
 */
async function assertNotStoredMeanwhile(
  manager: EntityManager,
  venueId: string,
  venueTradeIds: readonly string[],
): Promise<void> {
  const stored = await runQuery(
    manager,
    `SELECT 1 FROM trade WHERE venue_id = $1::uuid AND venue_trade_id = ANY($2::varchar[]) LIMIT 1`,
    [venueId, venueTradeIds],
  );
  if (stored.records.length > 0) throw new ConcurrentTradeInsert();
}

function stateOf(states: Map<string, PositionState>, key: string): PositionState {
  const state = states.get(key);
  if (state === undefined) throw new Error(`position ${key} was not locked`);
  return state;
}

/** noviateTrade on the locked state; the new positions as they will be stored (entry price to 18 places). */
function novate(candidate: Candidate, states: Map<string, PositionState>, house: NovationHouseAccounts): Novated {
  const { trade, instrument, positionKeys } = candidate;
  const buyerState = stateOf(states, positionKeys.buyer);
  const sellerState = stateOf(states, positionKeys.seller);
  const result = noviateTrade(
    trade,
    buyerState.position,
    sellerState.position,
    instrument.domain,
    house,
    instrument.settlementAssetScale,
  );
  if (candidate.reduceOnly.buyer) assertReduces(buyerState.position, result.buyer.position, 'buyerAccountId');
  if (candidate.reduceOnly.seller) assertReduces(sellerState.position, result.seller.position, 'sellerAccountId');
  return {
    candidate,
    buyer: storablePosition(result.buyer.position),
    seller: storablePosition(result.seller.position),
    journalEntry: result.journalEntry,
  };
}

/** Margin states in which an account may not add risk (the issue: "may not withdraw or add risk"). */
const REDUCE_ONLY_STATES: ReadonlySet<AccountMarginState> = new Set(['margin_call', 'liquidating']);

/**
 * A reduce-only side may bring its position towards zero, never past it: a larger absolute quantity, or
 * a flip to the other side, adds risk and is refused.
 */
function assertReduces(before: ClearingPosition, after: ClearingPosition, field: string): void {
  const flipped = !after.quantity.isZero() && after.quantity.isNeg() !== before.quantity.isNeg();
  if (after.quantity.abs().gt(before.quantity.abs()) || flipped) {
    throw new TradeRejectedError(
      'RISK_INCREASE_REFUSED',
      field,
      'is under a margin call or in liquidation: only trades that reduce its position are accepted',
    );
  }
}

/**
 * A harmonic or arithmetic mean entry price can have more than 18 decimals; it is rounded half-even to the
 * column's 18 here (an explicit choice, not PostgreSQL's silent rounding) and the rounded value is what
 * later trades of the batch see, so a batch gives the same positions as the same trades one by one.
 */
function storablePosition(position: ClearingPosition): ClearingPosition {
  assertStorable(position.quantity, 'position.quantity');
  assertStorable(position.realisedPnl, 'position.realisedPnl');
  const averageEntryPrice =
    position.quantity.isZero() || position.averageEntryPrice === null
      ? null
      : position.averageEntryPrice.toDecimalPlaces(STORED_SCALE, Decimal.ROUND_HALF_EVEN);
  if (averageEntryPrice !== null) assertStorable(averageEntryPrice, 'position.averageEntryPrice');
  return { ...position, averageEntryPrice };
}

function applyNovated(states: Map<string, PositionState>, novated: Novated, tradeId: string): void {
  const { positionKeys } = novated.candidate;
  for (const [key, position] of [
    [positionKeys.buyer, novated.buyer],
    [positionKeys.seller, novated.seller],
  ] as const) {
    const state = stateOf(states, key);
    state.position = position;
    state.lastTradeId = tradeId;
    state.touched = true;
  }
}

/** The atomic path: every statement multi-row, a fixed number of round trips per batch. */
async function novateAtomically(
  manager: EntityManager,
  venueId: string,
  candidates: readonly Candidate[],
  context: { states: Map<string, PositionState>; house: NovationHouseAccounts; writePath: WritePath },
  outcomes: (TradeOutcome | undefined)[],
): Promise<void> {
  const { states, house } = context;
  const novatedTrades: Novated[] = [];
  const working = cloneStates(states);
  /** Per touched position, the venue trade id of the batch's last trade on it. */
  const lastTradeOf = new Map<PositionState, string>();
  for (const candidate of candidates) {
    try {
      const novated = novate(candidate, working, house);
      applyNovated(working, novated, '');
      for (const key of [candidate.positionKeys.buyer, candidate.positionKeys.seller]) {
        lastTradeOf.set(stateOf(working, key), candidate.trade.tradeId);
      }
      novatedTrades.push(novated);
    } catch (error) {
      outcomes[candidate.item.index] = rejected(candidate.item, toRejection(error));
      return;
    }
  }
  if (context.writePath === 'one-statement') {
    const tradeIds = await writeNovatedBatch(
      manager,
      venueId,
      novatedTrades.map(tradeRow),
      [...lastTradeOf].map(([state, lastVenueTradeId]) => positionRow(state, lastVenueTradeId)),
    );
    for (const { candidate } of novatedTrades) {
      const tradeId = present(tradeIds.get(candidate.trade.tradeId), 'trade id');
      outcomes[candidate.item.index] = { venueTradeId: candidate.item.venueTradeId, status: 'novated', tradeId };
    }
    return;
  }
  const withEntries = novatedTrades.filter((novated) => novated.journalEntry !== null);
  const posted = await postJournalEntries(
    manager,
    withEntries.map((novated) => present(novated.journalEntry, 'journal entry')),
  );
  const journalEntryIds = new Map<Novated, string>();
  const refused: string[] = [];
  posted.forEach((entry, index) => {
    const novated = present(withEntries[index], 'novated trade');
    if (entry instanceof LedgerError) {
      outcomes[novated.candidate.item.index] = rejected(novated.candidate.item, ledgerRejection(entry));
      refused.push(novated.candidate.trade.tradeId);
    } else {
      journalEntryIds.set(novated, entry.journalEntryId);
    }
  });
  if (refused.length > 0) {
    await assertNotStoredMeanwhile(manager, venueId, refused);
    return;
  }
  const tradeIds = await insertTrades(
    manager,
    venueId,
    novatedTrades.map((novated) => ({
      candidate: novated.candidate,
      journalEntryId: journalEntryIds.get(novated) ?? null,
    })),
  );
  for (const novated of novatedTrades) {
    const tradeId = present(tradeIds.get(novated.candidate.trade.tradeId), 'trade id');
    applyNovated(states, novated, tradeId);
    outcomes[novated.candidate.item.index] = {
      venueTradeId: novated.candidate.item.venueTradeId,
      status: 'novated',
      tradeId,
    };
  }
  await writePositions(
    manager,
    [...states.values()].filter((state) => state.touched),
  );
}

/** One savepoint per trade: a trade the ledger refuses is rolled back alone, the others stay applied. */
async function novateTradeByTrade(
  manager: EntityManager,
  venueId: string,
  candidates: readonly Candidate[],
  states: Map<string, PositionState>,
  house: NovationHouseAccounts,
  outcomes: (TradeOutcome | undefined)[],
): Promise<void> {
  for (const candidate of candidates) {
    let novated: Novated;
    try {
      novated = novate(candidate, states, house);
    } catch (error) {
      outcomes[candidate.item.index] = rejected(candidate.item, toRejection(error));
      continue;
    }
    await runQuery(manager, 'SAVEPOINT trade_novation');
    try {
      let journalEntryId: string | null = null;
      if (novated.journalEntry !== null) {
        const [entry] = await postJournalEntries(manager, [novated.journalEntry]);
        if (entry instanceof LedgerError) throw entry;
        journalEntryId = entry?.journalEntryId ?? null;
      }
      const tradeIds = await insertTrades(manager, venueId, [{ candidate, journalEntryId }]);
      const tradeId = present(tradeIds.get(candidate.trade.tradeId), 'trade id');
      const buyer = stateOf(states, candidate.positionKeys.buyer);
      const seller = stateOf(states, candidate.positionKeys.seller);
      await writePositions(manager, [
        { ...buyer, position: novated.buyer, lastTradeId: tradeId, lockedVersion: buyer.version },
        { ...seller, position: novated.seller, lastTradeId: tradeId, lockedVersion: seller.version },
      ]);
      await runQuery(manager, 'RELEASE SAVEPOINT trade_novation');
      for (const state of [buyer, seller]) state.version += 1n;
      applyNovated(states, novated, tradeId);
      outcomes[candidate.item.index] = { venueTradeId: candidate.item.venueTradeId, status: 'novated', tradeId };
    } catch (error) {
      if (!(error instanceof LedgerError && error.code === 'IDEMPOTENCY_KEY_REUSED')) throw error;
      await runQuery(manager, 'ROLLBACK TO SAVEPOINT trade_novation');
      await runQuery(manager, 'RELEASE SAVEPOINT trade_novation');
      await assertNotStoredMeanwhile(manager, venueId, [candidate.trade.tradeId]);
      outcomes[candidate.item.index] = rejected(candidate.item, ledgerRejection(error));
    }
  }
}

function tradeRow({ candidate, journalEntry }: Novated): NovatedTradeRow {
  const { trade, payloadHash } = candidate;
  return {
    venueTradeId: trade.tradeId,
    instrumentId: trade.instrumentId,
    buyerAccountId: trade.buyerAccountId,
    sellerAccountId: trade.sellerAccountId,
    quantity: decimalText(trade.quantity),
    price: decimalText(trade.price),
    buyerFee: decimalText(trade.buyerFee),
    sellerFee: decimalText(trade.sellerFee),
    executedAtEpochMs: trade.executedAtEpochMs,
    payloadHash,
    journalEntry,
  };
}

function positionRow(state: PositionState, lastVenueTradeId: string): NovatedPositionRow {
  const { position } = state;
  return {
    accountId: state.accountId,
    instrumentId: state.instrumentId,
    quantity: decimalText(position.quantity),
    averageEntryPrice: position.averageEntryPrice === null ? null : decimalText(position.averageEntryPrice),
    realisedPnl: decimalText(position.realisedPnl),
    lastVenueTradeId,
    expectedVersion: state.lockedVersion.toString(),
  };
}

/**
 * Inserts trade rows in one statement (sorted by venue trade id); returns their ids by venue trade id.
 * A row that conflicts was stored by a concurrent batch after this one looked: the batch is run again.
 */
async function insertTrades(
  manager: EntityManager,
  venueId: string,
  rows: readonly { candidate: Candidate; journalEntryId: string | null }[],
): Promise<Map<string, string>> {
  const sorted = [...rows].sort((a, b) => compareText(a.candidate.trade.tradeId, b.candidate.trade.tradeId));
  const column = (pick: (row: { candidate: Candidate; journalEntryId: string | null }) => string | null) =>
    arrayParameter(sorted.map(pick));
  const inserted = await runQuery<{ id: string; venue_trade_id: string }>(
    manager,
    `INSERT INTO trade (venue_id, venue_trade_id, instrument_id, buyer_account_id, seller_account_id, quantity, price,
                        buyer_fee, seller_fee, executed_at, payload_hash, journal_entry_id)
     SELECT $1::uuid, venue_trade_id, instrument_id, buyer_account_id, seller_account_id, quantity, price,
            buyer_fee, seller_fee, timestamptz 'epoch' + executed_ms * interval '1 millisecond', payload_hash,
            journal_entry_id
     FROM unnest($2::varchar[], $3::uuid[], $4::uuid[], $5::uuid[], $6::numeric[], $7::numeric[], $8::numeric[],
                 $9::numeric[], $10::bigint[], $11::char(64)[], $12::bigint[])
       AS row(venue_trade_id, instrument_id, buyer_account_id, seller_account_id, quantity, price, buyer_fee,
              seller_fee, executed_ms, payload_hash, journal_entry_id)
     ON CONFLICT (venue_id, venue_trade_id) DO NOTHING RETURNING id::text AS id, venue_trade_id`,
    [
      venueId,
      column((row) => row.candidate.trade.tradeId),
      column((row) => row.candidate.trade.instrumentId),
      column((row) => row.candidate.trade.buyerAccountId),
      column((row) => row.candidate.trade.sellerAccountId),
      column((row) => decimalText(row.candidate.trade.quantity)),
      column((row) => decimalText(row.candidate.trade.price)),
      column((row) => decimalText(row.candidate.trade.buyerFee)),
      column((row) => decimalText(row.candidate.trade.sellerFee)),
      column((row) => String(row.candidate.trade.executedAtEpochMs)),
      column((row) => row.candidate.payloadHash),
      column((row) => row.journalEntryId),
    ],
  );
  if (inserted.records.length !== rows.length) throw new ConcurrentTradeInsert();
  return new Map(inserted.records.map((row) => [row.venue_trade_id, row.id]));
}

/**
 * Compare-and-swap of positions in one statement: each row is updated only if its version is still the
 * one read under the lock, and bumped; exactly one row per position must match, or the transaction fails.
 */
async function writePositions(manager: EntityManager, states: readonly PositionState[]): Promise<void> {
  if (states.length === 0) return;
  const updated = await runQuery(
    manager,
    `UPDATE position SET quantity = next.quantity, average_entry_price = next.average_entry_price,
            realised_pnl = next.realised_pnl, last_trade_id = next.last_trade_id,
            version = position.version + 1, updated_at = now()
     FROM unnest($1::uuid[], $2::uuid[], $3::numeric[], $4::numeric[], $5::numeric[], $6::bigint[], $7::bigint[])
       AS next(account_id, instrument_id, quantity, average_entry_price, realised_pnl, last_trade_id, expected_version)
     WHERE position.account_id = next.account_id AND position.instrument_id = next.instrument_id
       AND position.version = next.expected_version`,
    [
      arrayParameter(states.map((state) => state.accountId)),
      arrayParameter(states.map((state) => state.instrumentId)),
      arrayParameter(states.map((state) => decimalText(state.position.quantity))),
      arrayParameter(
        states.map((state) =>
          state.position.averageEntryPrice === null ? null : decimalText(state.position.averageEntryPrice),
        ),
      ),
      arrayParameter(states.map((state) => decimalText(state.position.realisedPnl))),
      arrayParameter(states.map((state) => state.lastTradeId)),
      arrayParameter(states.map((state) => state.lockedVersion.toString())),
    ],
  );
  if (updated.affected !== states.length) {
    throw new Error(`position compare-and-swap updated ${updated.affected} rows, expected ${states.length}`);
  }
}

/** Per-trade mode: position rows this batch created for trades that were all rejected are removed again. */
async function deleteUnusedPositions(
  manager: EntityManager,
  states: Map<string, PositionState>,
  created: Set<string>,
): Promise<void> {
  const unused = [...created]
    .map((key) => present(states.get(key), 'position state'))
    .filter((state) => !state.touched);
  if (unused.length === 0) return;
  const deleted = await runQuery(
    manager,
    `DELETE FROM position USING unnest($1::uuid[], $2::uuid[]) AS pair(account_id, instrument_id)
     WHERE position.account_id = pair.account_id AND position.instrument_id = pair.instrument_id
       AND position.version = 0 AND position.last_trade_id IS NULL`,
    [unused.map((state) => state.accountId), unused.map((state) => state.instrumentId)],
  );
  if (deleted.affected !== unused.length) {
    throw new Error(`removed ${deleted.affected} unused positions, expected ${unused.length}`);
  }
}

function cloneStates(states: Map<string, PositionState>): Map<string, PositionState> {
  return new Map([...states].map(([key, state]) => [key, { ...state }]));
}

function decimalText(value: Decimal): string {
  return value.isZero() ? '0' : value.toFixed();
}

function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function uniqueUuids(ids: readonly string[]): string[] {
  return [...new Set(ids)].filter((id) => UUID_PATTERN.test(id));
}

function toRejection(error: unknown): TradeRejection {
  if (error instanceof ClearingError || error instanceof TradeRejectedError) {
    return { code: error.code, field: error.field, message: error.message };
  }
  throw error;
}

function ledgerRejection(error: LedgerError): TradeRejection {
  return { code: 'IDEMPOTENCY_KEY_REUSED', field: 'tradeId', message: error.message };
}

function unknownRejection(): TradeRejection {
  return { code: 'BATCH_ABORTED', field: 'trade', message: 'not applied' };
}

function rejected(item: ParsedItem, error: TradeRejection): TradeOutcome {
  return { venueTradeId: item.venueTradeId, status: 'rejected', error };
}

function abortedResult(
  mode: TradeSubmissionMode,
  items: readonly ParsedItem[],
  outcomes: readonly (TradeOutcome | undefined)[],
  repeats: readonly { item: ParsedItem; of: Candidate }[],
): Omit<TradeBatchResult, 'attempts'> {
  const repeatOf = new Map(repeats.map((repeat) => [repeat.item.index, repeat.of.item.index]));
  const aborted = items.map((item): TradeOutcome => {
    const own = outcomes[item.index];
    if (own?.status === 'rejected') return own;
    const originalIndex = repeatOf.get(item.index);
    const original = originalIndex === undefined ? undefined : outcomes[originalIndex];
    if (original?.status === 'rejected' && original.error !== undefined) return rejected(item, original.error);
    return rejected(item, {
      code: 'BATCH_ABORTED',
      field: 'trade',
      message: 'another trade of this atomic batch was rejected; nothing was applied',
    });
  });
  return finish(mode, items, aborted);
}

function finish(
  mode: TradeSubmissionMode,
  items: readonly ParsedItem[],
  outcomes: readonly (TradeOutcome | undefined)[],
): Omit<TradeBatchResult, 'attempts'> {
  const trades = items.map((item) => outcomes[item.index] ?? rejected(item, unknownRejection()));
  const counts = { novated: 0, duplicate: 0, rejected: 0 };
  for (const outcome of trades) counts[outcome.status] += 1;
  return { mode, trades, counts };
}
