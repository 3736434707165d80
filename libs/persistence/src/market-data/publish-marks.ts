import { Decimal, DecimalParseError, parseDecimal } from '@novation/money';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { moneyTransformer } from '../decimal.transformer.js';
import { queryPrepared, type PreparedStatement } from './prepared-statement.js';
import type { InstrumentKind, InstrumentStatus } from '../entities/reference-data.entity.js';
import { MarketDataError } from './market-data-error.js';
import type { MarketDataItemError, MarketDataItemErrorCode } from './market-data-error.js';
import { assertNonNegativeSafeInteger, isUnderlying, isUuid } from './validation.js';

/** Most items (index prices plus mark prices) in one call: a bound on one transaction. */
export const MARKET_DATA_ITEMS_PER_CALL_MAX = 1_000;

/** Prices are numeric(38,18): at most 18 decimals and below 1e20. */
const PRICE_SCALE_MAX = 18;
const PRICE_MAX = new Decimal('1e20');
const SOURCE = /^[A-Za-z0-9_.:-]{1,64}$/;

export interface IndexPriceInput {
  readonly underlying: string;
  /** Plain decimal string, > 0. */
  readonly price: string;
  readonly observedAtEpochMs: number;
}

export interface MarkPriceInput {
  readonly instrumentId: string;
  /** Plain decimal string, > 0 (options: premium per unit in the settlement asset). */
  readonly price: string;
  /** Required for options, in (0, 100); refused for other kinds. */
  readonly impliedVolatility?: number;
  readonly observedAtEpochMs: number;
}

export interface MarketDataBatch {
  /** Who published it, e.g. 'deribit' (1..64 of [A-Za-z0-9_.:-]); stored on every row. */
  readonly source: string;
  /** When given, every mark must be for an instrument listed by this venue (instrument.venue_id). */
  readonly venueId?: string;
  readonly indexPrices?: readonly IndexPriceInput[];
  readonly markPrices?: readonly MarkPriceInput[];
}

export interface MarketDataPolicy {
  /** The caller's clock. */
  readonly nowEpochMs: number;
  /** A price observed more than this before now is stale. */
  readonly maxAgeMs: number;
  /** A price observed more than this after now is refused as from the future. */
  readonly maxFutureSkewMs: number;
  /**
   * Largest relative move accepted against the last ACCEPTED value of the same key, as a decimal string
   * (e.g. '0.1' for 10%): |new / last - 1| > band is refused. The first value of a key has no reference.
   */
  readonly bandFraction: string;
}

export interface MarketDataItemResult {
  readonly accepted: boolean;
  readonly error?: MarketDataItemError;
}

export interface PublishMarketDataResult {
  /** One result per input item, in input order. */
  readonly indexPrices: readonly MarketDataItemResult[];
  readonly markPrices: readonly MarketDataItemResult[];
  readonly acceptedCount: number;
  readonly rejectedCount: number;
}

export interface LatestMark {
  readonly instrumentId: string;
  readonly price: Decimal;
  readonly impliedVolatility: number | null;
  readonly observedAt: Date;
  readonly source: string;
}

export interface LatestIndexPrice {
  readonly underlying: string;
  readonly price: Decimal;
  readonly observedAt: Date;
  readonly source: string;
}

export interface LatestMarketData {
  /** Keyed by instrument id; instruments without an accepted mark are absent. */
  readonly marks: ReadonlyMap<string, LatestMark>;
  /** Keyed by underlying; underlyings without an accepted index price are absent. */
  readonly indexPrices: ReadonlyMap<string, LatestIndexPrice>;
}

export interface LatestMarketDataQuery {
  readonly instrumentIds: readonly string[];
  readonly underlyings: readonly string[];
  /** Only values observed at or before this instant (default: the latest stored). */
  readonly asOfEpochMs?: number;
}

interface InstrumentRow {
  readonly id: string;
  readonly kind: InstrumentKind;
  readonly status: InstrumentStatus;
  readonly venue_id: string | null;
  readonly underlying: string;
}

interface Reference {
  readonly price: Decimal;
  readonly observedAtEpochMs: number;
}

class ItemRefused extends Error {
  constructor(readonly itemError: MarketDataItemError) {
    super(itemError.message);
  }
}

function refuse(code: MarketDataItemErrorCode, field: string, message: string): never {
  throw new ItemRefused({ code, field, message });
}

/**
 * Validates and stores index and mark prices. Each item is accepted or refused on its own (a refused item is
 * reported with a code and not stored); all accepted items are inserted in ONE transaction. Per key
 * (underlying, instrument) the publishes are serialized by a transaction-scoped advisory lock, so the
 * out-of-order and band checks compare against the latest value actually accepted, including values
 * accepted earlier in the same batch. A timestamp equal to the latest accepted one is OUT_OF_ORDER too
 * (the latest must be unambiguous). Malformed calls (source, venue, policy, too many items) throw
 * MarketDataError and store nothing.
 */
/** What a publish accepted, handed to `onAccepted` inside the publishing transaction. */
export interface AcceptedMarketData {
  /** Underlyings whose index price or (through an instrument) mark price was accepted, sorted. */
  readonly underlyings: readonly string[];
  /** Latest observedAt among the accepted items. */
  readonly observedAtMaxEpochMs: number;
}

export interface PublishMarketDataOptions {
  /**
   * Runs in the SAME transaction as the accepted rows, only when something was accepted: the outbox
   * records the margin checks a price move triggers here, so a crash can never keep the price and lose
   * the checks (or the reverse).
   */
  readonly onAccepted?: (manager: EntityManager, accepted: AcceptedMarketData) => Promise<void>;
}

export async function publishMarketData(
  dataSource: DataSource,
  input: MarketDataBatch,
  policy: MarketDataPolicy,
  options: PublishMarketDataOptions = {},
): Promise<PublishMarketDataResult> {
  const band = assertBatch(input, policy);
  const indexInputs = input.indexPrices ?? [];
  const markInputs = input.markPrices ?? [];
  const underlyings = [...new Set(indexInputs.map((item) => item.underlying).filter(isUnderlying))].sort();
  const instrumentIds = [
    ...new Set(
      markInputs
        .map((item) => item.instrumentId)
        .filter(isUuid)
        .map((id) => id.toLowerCase()),
    ),
  ].sort();
  const venueId = input.venueId?.toLowerCase();

  return dataSource.transaction(async (manager) => {
    await lockKeys(manager, [
      ...underlyings.map((underlying) => `index_price:${underlying}`),
      ...instrumentIds.map((id) => `mark_price:${id}`),
    ]);
    // After the locks, in a statement of its own: READ COMMITTED takes a fresh snapshot per statement, so
    // this one sees every value a publisher that held the locks before us committed.
    const { instruments, knownUnderlyings, indexReferences, markReferences } = await loadPublishState(
      manager,
      instrumentIds,
      underlyings,
    );

    const indexRows: AcceptedIndexPrice[] = [];
    const indexResults = indexInputs.map((item, index) =>
      judge(() => {
        const field = `indexPrices[${index}]`;
        const price = parsePrice(item.price, `${field}.price`);
        const observedAtEpochMs = checkTimestamp(item.observedAtEpochMs, `${field}.observedAtEpochMs`, policy);
        if (!isUnderlying(item.underlying) || !knownUnderlyings.has(item.underlying)) {
          refuse('UNKNOWN_UNDERLYING', `${field}.underlying`, 'is not the underlying of any instrument');
        }
        checkAgainstReference(indexReferences.get(item.underlying), price, observedAtEpochMs, band, field);
        indexReferences.set(item.underlying, { price, observedAtEpochMs });
        indexRows.push({ underlying: item.underlying, price, observedAtEpochMs });
      }),
    );

    const markRows: AcceptedMarkPrice[] = [];
    const markResults = markInputs.map((item, index) =>
      judge(() => {
        const field = `markPrices[${index}]`;
        const price = parsePrice(item.price, `${field}.price`);
        const observedAtEpochMs = checkTimestamp(item.observedAtEpochMs, `${field}.observedAtEpochMs`, policy);
        const instrumentId = isUuid(item.instrumentId) ? item.instrumentId.toLowerCase() : undefined;
        const instrument = instrumentId === undefined ? undefined : instruments.get(instrumentId);
        if (instrumentId === undefined || instrument === undefined) {
          refuse('UNKNOWN_INSTRUMENT', `${field}.instrumentId`, 'is not a known instrument');
        }
        if (venueId !== undefined && instrument.venue_id !== venueId) {
          refuse('INSTRUMENT_NOT_LISTED', `${field}.instrumentId`, 'is not listed by the publishing venue');
        }
        if (instrument.status !== 'active') {
          refuse('INSTRUMENT_NOT_ACTIVE', `${field}.instrumentId`, `is ${instrument.status}`);
        }
        const impliedVolatility = checkImpliedVolatility(item.impliedVolatility, instrument.kind, field);
        checkAgainstReference(markReferences.get(instrumentId), price, observedAtEpochMs, band, field);
        markReferences.set(instrumentId, { price, observedAtEpochMs });
        markRows.push({ instrumentId, price, impliedVolatility, observedAtEpochMs });
      }),
    );

    await insertAccepted(manager, input.source, indexRows, markRows);
    const acceptedCount = indexRows.length + markRows.length;
    if (acceptedCount > 0 && options.onAccepted !== undefined) {
      const acceptedUnderlyings = new Set(indexRows.map((row) => row.underlying));
      for (const row of markRows) {
        const underlying = instruments.get(row.instrumentId)?.underlying;
        if (underlying !== undefined) acceptedUnderlyings.add(underlying);
      }
      const observedAt = [...indexRows, ...markRows].map((row) => row.observedAtEpochMs);
      await options.onAccepted(manager, {
        underlyings: [...acceptedUnderlyings].sort(),
        observedAtMaxEpochMs: Math.max(...observedAt),
      });
    }
    return {
      indexPrices: indexResults,
      markPrices: markResults,
      acceptedCount,
      rejectedCount: indexResults.length + markResults.length - acceptedCount,
    };
  });
}

/**
 * The latest accepted mark (with implied vol) per instrument and index price per underlying: one query
 * each, one index probe per key (LATERAL ... LIMIT 1 on the mark_price_latest and index_price_latest
 * indexes). A DISTINCT ON over the keys read every observation they ever had: 253 ms for 20 instruments
 * with 50,000 marks each (about 14 hours of 1 Hz ticks), against 0.4 ms now, whatever the history.
 */
export async function latestMarketData(
  manager: EntityManager,
  query: LatestMarketDataQuery,
): Promise<LatestMarketData> {
  query.instrumentIds.forEach((id, index) => {
    if (!isUuid(id)) throw new MarketDataError('INVALID_QUERY', `instrumentIds[${index}]`, 'must be a uuid');
  });
  query.underlyings.forEach((underlying, index) => {
    if (!isUnderlying(underlying)) throw new MarketDataError('INVALID_QUERY', `underlyings[${index}]`, 'is invalid');
  });
  if (query.asOfEpochMs !== undefined && (!Number.isSafeInteger(query.asOfEpochMs) || query.asOfEpochMs < 0)) {
    throw new MarketDataError('INVALID_QUERY', 'asOfEpochMs', 'must be a non-negative safe integer');
  }
  const asOf = query.asOfEpochMs === undefined ? null : new Date(query.asOfEpochMs);
  const marks = new Map<string, LatestMark>();
  const indexPrices = new Map<string, LatestIndexPrice>();
  if (query.instrumentIds.length > 0) {
    const rows: {
      instrument_id: string;
      price: string;
      implied_volatility: number | null;
      observed_at: Date;
      source: string;
    }[] = await manager.query(
      `SELECT latest.instrument_id, latest.price::text AS price, latest.implied_volatility, latest.observed_at,
              latest.source
         FROM (SELECT DISTINCT key FROM unnest($1::uuid[]) AS wanted(key)) wanted
         CROSS JOIN LATERAL (
           SELECT instrument_id, price, implied_volatility, observed_at, source FROM mark_price
            WHERE instrument_id = wanted.key AND ($2::timestamptz IS NULL OR observed_at <= $2::timestamptz)
            ORDER BY observed_at DESC, id DESC LIMIT 1) latest`,
      [query.instrumentIds.map((id) => id.toLowerCase()), asOf],
    );
    for (const row of rows) {
      marks.set(row.instrument_id, {
        instrumentId: row.instrument_id,
        price: new Decimal(row.price),
        impliedVolatility: row.implied_volatility === null ? null : Number(row.implied_volatility),
        observedAt: new Date(row.observed_at),
        source: row.source,
      });
    }
  }
  if (query.underlyings.length > 0) {
    const rows: { underlying: string; price: string; observed_at: Date; source: string }[] = await manager.query(
      `SELECT latest.underlying, latest.price::text AS price, latest.observed_at, latest.source
         FROM (SELECT DISTINCT key FROM unnest($1::varchar[]) AS wanted(key)) wanted
         CROSS JOIN LATERAL (
           SELECT underlying, price, observed_at, source FROM index_price
            WHERE underlying = wanted.key AND ($2::timestamptz IS NULL OR observed_at <= $2::timestamptz)
            ORDER BY observed_at DESC, id DESC LIMIT 1) latest`,
      [[...query.underlyings], asOf],
    );
    for (const row of rows) {
      indexPrices.set(row.underlying, {
        underlying: row.underlying,
        price: new Decimal(row.price),
        observedAt: new Date(row.observed_at),
        source: row.source,
      });
    }
  }
  return { marks, indexPrices };
}

function assertBatch(input: MarketDataBatch, policy: MarketDataPolicy): Decimal {
  if (typeof input.source !== 'string' || !SOURCE.test(input.source)) {
    throw new MarketDataError('INVALID_SOURCE', 'source', 'must be 1..64 of [A-Za-z0-9_.:-]');
  }
  if (input.venueId !== undefined && !isUuid(input.venueId)) {
    throw new MarketDataError('INVALID_VENUE', 'venueId', 'must be a uuid');
  }
  const indexCount = input.indexPrices?.length ?? 0;
  const markCount = input.markPrices?.length ?? 0;
  if (indexCount + markCount > MARKET_DATA_ITEMS_PER_CALL_MAX) {
    throw new MarketDataError('TOO_MANY_ITEMS', 'input', `has more than ${MARKET_DATA_ITEMS_PER_CALL_MAX} items`);
  }
  assertNonNegativeSafeInteger(policy.nowEpochMs, 'policy.nowEpochMs');
  assertNonNegativeSafeInteger(policy.maxAgeMs, 'policy.maxAgeMs');
  assertNonNegativeSafeInteger(policy.maxFutureSkewMs, 'policy.maxFutureSkewMs');
  let band: Decimal;
  try {
    band = parseDecimal(policy.bandFraction);
  } catch (error) {
    if (error instanceof DecimalParseError) {
      throw new MarketDataError('INVALID_POLICY', 'policy.bandFraction', 'must be a plain decimal string');
    }
    throw error;
  }
  if (!band.isPositive() || band.isZero()) {
    throw new MarketDataError('INVALID_POLICY', 'policy.bandFraction', 'must be > 0');
  }
  return band;
}

/** Transaction-scoped advisory locks, one per key, taken in one fixed order so publishers cannot deadlock. */
async function lockKeys(manager: EntityManager, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await queryPrepared(transactionRunner(manager), LOCK_KEYS, [[...keys]]);
}

const LOCK_KEYS: PreparedStatement = {
  name: 'novation_publish_lock_keys',
  text: `SELECT pg_advisory_xact_lock(lock_key) FROM (
           SELECT DISTINCT hashtextextended(key, 0) AS lock_key FROM unnest($1::text[]) AS key ORDER BY lock_key
         ) ordered`,
};

function transactionRunner(manager: EntityManager): QueryRunner {
  const queryRunner = manager.queryRunner;
  if (queryRunner === undefined || !queryRunner.isTransactionActive) {
    throw new Error('a publish statement must run inside the publishing transaction');
  }
  return queryRunner;
}

/** What a publish compares against, read in ONE statement (four before). */
interface PublishState {
  readonly instruments: Map<string, InstrumentRow>;
  readonly knownUnderlyings: Set<string>;
  readonly indexReferences: Map<string, Reference>;
  readonly markReferences: Map<string, Reference>;
}

/**
 * The instruments named by the marks, which of the index underlyings some instrument has, and the latest
 * accepted value of every key. The latest value is one LIMIT 1 probe of mark_price_latest or
 * index_price_latest per key, so its cost does not grow with the price history.
 */
async function loadPublishState(
  manager: EntityManager,
  instrumentIds: readonly string[],
  underlyings: readonly string[],
): Promise<PublishState> {
  const [row] = await queryPrepared<PublishStateRow>(transactionRunner(manager), PUBLISH_STATE, [
    [...instrumentIds],
    [...underlyings],
  ]);
  if (row === undefined) throw new Error('the publish state query returned no row');
  const references = (rows: readonly LatestRow[]) =>
    new Map(
      rows.map((latest) => [
        latest.key,
        { price: new Decimal(latest.price), observedAtEpochMs: latest.observed_at_ms },
      ]),
    );
  return {
    instruments: new Map(row.instruments.map((instrument) => [instrument.id, instrument])),
    knownUnderlyings: new Set(row.known_underlyings),
    indexReferences: references(row.index_prices),
    markReferences: references(row.marks),
  };
}

interface PublishStateRow {
  readonly instruments: InstrumentRow[];
  readonly known_underlyings: string[];
  readonly marks: LatestRow[];
  readonly index_prices: LatestRow[];
}

/** $1 instrument ids of the marks, $2 underlyings of the index prices. */
const PUBLISH_STATE: PreparedStatement = {
  name: 'novation_publish_state',
  text: `
    SELECT
      (SELECT coalesce(json_agg(json_build_object('id', id, 'kind', kind, 'status', status, 'venue_id', venue_id,
                                                  'underlying', underlying)), '[]')
         FROM instrument WHERE id = ANY($1::uuid[])) AS instruments,
      (SELECT coalesce(json_agg(DISTINCT underlying), '[]')
         FROM instrument WHERE underlying = ANY($2::varchar[])) AS known_underlyings,
      (SELECT coalesce(json_agg(json_build_object('key', key, 'price', latest.price,
                                                  'observed_at_ms', latest.observed_at_ms)), '[]')
         FROM unnest($1::uuid[]) AS key
         CROSS JOIN LATERAL (
           SELECT price::text AS price, floor(extract(epoch FROM observed_at) * 1000)::bigint AS observed_at_ms
             FROM mark_price WHERE instrument_id = key ORDER BY observed_at DESC, id DESC LIMIT 1) latest) AS marks,
      (SELECT coalesce(json_agg(json_build_object('key', key, 'price', latest.price,
                                                  'observed_at_ms', latest.observed_at_ms)), '[]')
         FROM unnest($2::varchar[]) AS key
         CROSS JOIN LATERAL (
           SELECT price::text AS price, floor(extract(epoch FROM observed_at) * 1000)::bigint AS observed_at_ms
             FROM index_price WHERE underlying = key ORDER BY observed_at DESC, id DESC LIMIT 1) latest) AS index_prices`,
};

interface LatestRow {
  readonly key: string;
  /** numeric as text: exact. */
  readonly price: string;
  readonly observed_at_ms: number;
}

interface AcceptedIndexPrice {
  readonly underlying: string;
  readonly price: Decimal;
  readonly observedAtEpochMs: number;
}

interface AcceptedMarkPrice {
  readonly instrumentId: string;
  readonly price: Decimal;
  readonly impliedVolatility: number | null;
  readonly observedAtEpochMs: number;
}

/** $1-$3 index prices, $4-$7 mark prices (as columns), $8 source. */
const INSERT_ACCEPTED: PreparedStatement = {
  name: 'novation_publish_insert_accepted',
  text: `
    WITH index_rows AS (
           INSERT INTO index_price (underlying, price, observed_at, source)
           SELECT underlying, price, observed_at, $8::varchar
             FROM unnest($1::varchar[], $2::numeric[], $3::timestamptz[])
                  WITH ORDINALITY AS draft (underlying, price, observed_at, ordinality)
            ORDER BY ordinality
           RETURNING 1),
         mark_rows AS (
           INSERT INTO mark_price (instrument_id, price, implied_volatility, observed_at, source)
           SELECT instrument_id, price, implied_volatility, observed_at, $8::varchar
             FROM unnest($4::uuid[], $5::numeric[], $6::float8[], $7::timestamptz[])
                  WITH ORDINALITY AS draft (instrument_id, price, implied_volatility, observed_at, ordinality)
            ORDER BY ordinality
           RETURNING 1)
    SELECT (SELECT count(*) FROM index_rows) + (SELECT count(*) FROM mark_rows) AS inserted`,
};

/**
 * Inserts the accepted index and mark prices in ONE statement (two data-modifying CTEs), in input order.
 * Prices go through the column transformer, which refuses what numeric(38,18) cannot hold exactly.
 */
async function insertAccepted(
  manager: EntityManager,
  source: string,
  indexRows: readonly AcceptedIndexPrice[],
  markRows: readonly AcceptedMarkPrice[],
): Promise<void> {
  if (indexRows.length === 0 && markRows.length === 0) return;
  const instant = (epochMs: number) => new Date(epochMs).toISOString();
  await queryPrepared(transactionRunner(manager), INSERT_ACCEPTED, [
    indexRows.map((row) => row.underlying),
    indexRows.map((row) => moneyTransformer.to(row.price)),
    indexRows.map((row) => instant(row.observedAtEpochMs)),
    markRows.map((row) => row.instrumentId),
    markRows.map((row) => moneyTransformer.to(row.price)),
    markRows.map((row) => row.impliedVolatility),
    markRows.map((row) => instant(row.observedAtEpochMs)),
    source,
  ]);
}

function judge(check: () => void): MarketDataItemResult {
  try {
    check();
    return { accepted: true };
  } catch (error) {
    if (error instanceof ItemRefused) return { accepted: false, error: error.itemError };
    throw error;
  }
}

function parsePrice(value: unknown, field: string): Decimal {
  let price: Decimal;
  try {
    price = parseDecimal(value, { scaleMax: PRICE_SCALE_MAX });
  } catch (error) {
    if (error instanceof DecimalParseError) {
      refuse('INVALID_PRICE', field, `must be a plain decimal string with at most ${PRICE_SCALE_MAX} decimals`);
    }
    throw error;
  }
  if (!price.isPositive() || price.isZero()) refuse('INVALID_PRICE', field, 'must be > 0');
  if (price.gte(PRICE_MAX)) refuse('INVALID_PRICE', field, 'must be below 1e20');
  return price;
}

function checkTimestamp(value: unknown, field: string, policy: MarketDataPolicy): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    refuse('INVALID_TIMESTAMP', field, 'must be non-negative integer epoch milliseconds');
  }
  if (value > policy.nowEpochMs + policy.maxFutureSkewMs) {
    refuse('FUTURE_TIMESTAMP', field, `is more than ${policy.maxFutureSkewMs} ms after now`);
  }
  if (value < policy.nowEpochMs - policy.maxAgeMs) {
    refuse('STALE_PRICE', field, `is more than ${policy.maxAgeMs} ms old`);
  }
  return value;
}

function checkImpliedVolatility(value: unknown, kind: InstrumentKind, field: string): number | null {
  if (kind !== 'option') {
    if (value !== undefined && value !== null) {
      refuse('INVALID_IMPLIED_VOLATILITY', `${field}.impliedVolatility`, 'is only taken for options');
    }
    return null;
  }
  if (value === undefined || value === null) {
    refuse('MISSING_IMPLIED_VOLATILITY', `${field}.impliedVolatility`, 'is required for an option');
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value >= 100) {
    refuse('INVALID_IMPLIED_VOLATILITY', `${field}.impliedVolatility`, 'must be a number in (0, 100)');
  }
  return value;
}

function checkAgainstReference(
  reference: Reference | undefined,
  price: Decimal,
  observedAtEpochMs: number,
  band: Decimal,
  field: string,
): void {
  if (reference === undefined) return;
  if (observedAtEpochMs <= reference.observedAtEpochMs) {
    refuse('OUT_OF_ORDER', `${field}.observedAtEpochMs`, 'is not after the latest accepted value');
  }
  const move = price.dividedBy(reference.price).minus(1).abs();
  if (move.gt(band)) {
    refuse(
      'OUTSIDE_PRICE_BAND',
      `${field}.price`,
      `moves ${move.toSignificantDigits(6).toFixed()} from the last accepted ${reference.price.toFixed()}`,
    );
  }
}
