import { Decimal } from '@novation/money';
import {
  baselTrafficLightZone,
  canonicalJson,
  christoffersenConditionalCoverage,
  computeMargin,
  kupiecProportionOfFailures,
  parseMarginRequest,
  sha256Hex,
} from '@novation/risk';
import { In, type EntityManager } from 'typeorm';
import { receiptInputs } from '../margin/margin-account.js';
import { MarginReceiptEntity } from '../entities/margin.entity.js';
import {
  BACKTEST_ACCOUNT_PRODUCT,
  BacktestReportEntity,
  type BacktestObservation,
  type BacktestTrafficLight,
} from './backtest-report.entity.js';
import { ReportError } from './report-error.js';

/** Longest look-back: the Basel year of 250 observations. */
export const BACKTEST_LOOKBACK_DAYS_MAX = 250;
/** The admin service's and the daily schedule's defaults: a year of business days at 99%. */
export const BACKTEST_LOOKBACK_DAYS_DEFAULT = 250;
export const BACKTEST_CONFIDENCE_DEFAULT = 0.99;
/** Member accounts one run may cover; beyond it the run is refused rather than left to time out. */
export const BACKTEST_ACCOUNT_COUNT_MAX = 5_000;
/** Bounds of the tested confidence: 1 - confidence is the expected exception probability. */
export const BACKTEST_CONFIDENCE_MIN = 0.9;
export const BACKTEST_CONFIDENCE_MAX = 0.9999;

const DAY_MS = 86_400_000;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
/** Places kept for derived amounts (inverse P&L, conversions); far below any asset's own precision. */
const AMOUNT_SCALE = 18;

export interface BacktestRunInput {
  /** 'YYYY-MM-DD': the last day whose realised loss is used; it must have ended before `nowEpochMs`. */
  readonly businessDate: string;
  /** Days tested: the margins at the end of businessDate - lookbackDays ... businessDate - 1. */
  readonly lookbackDays: number;
  readonly confidence: number;
}

/** A computed report before it is stored. */
export type BacktestReportDraft = Omit<BacktestReportEntity, 'id' | 'runBy' | 'createdAt' | 'replacedAt'>;

interface ReceiptInputs {
  readonly positions: readonly { instrumentId: string; quantity: string }[];
  readonly collateral: { marginAsset: string };
  readonly marketSnapshot: {
    readonly instruments: readonly {
      id: string;
      kind: string;
      underlying: string;
      settlementAsset: string;
      contractSize: string;
    }[];
    readonly assetPrices?: Readonly<Record<string, string>>;
  };
}

interface AccountDay {
  readonly accountId: string;
  readonly memberFirmId: string;
  readonly day: string;
  readonly receiptId: string;
}

interface StoredReceipt {
  readonly id: string;
  readonly initialMargin: Decimal;
  readonly raw: Record<string, unknown>;
  readonly inputs: ReceiptInputs;
}

/** Closing marks: instrument id -> day -> the day's last mark, and whether it was observed that day. */
type ClosingMarks = Map<string, Map<string, { price: Decimal; fresh: boolean }>>;

/** 'YYYY-MM-DD' shifted by whole days (UTC, no DST). */
export function shiftDay(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function assertBacktestRunInput(input: BacktestRunInput, nowEpochMs: number): void {
  const parsed = DATE_PATTERN.test(input.businessDate) ? Date.parse(`${input.businessDate}T00:00:00Z`) : Number.NaN;
  if (!Number.isFinite(parsed) || new Date(parsed).toISOString().slice(0, 10) !== input.businessDate) {
    throw new ReportError('INVALID_BUSINESS_DATE', 'businessDate must be a calendar date YYYY-MM-DD', 'businessDate');
  }
  // The report for a day is final only once the day is over: its last marks are known.
  if (parsed + DAY_MS > nowEpochMs) {
    throw new ReportError('INVALID_BUSINESS_DATE', 'businessDate must be a day that has ended', 'businessDate');
  }
  if (
    !Number.isInteger(input.lookbackDays) ||
    input.lookbackDays < 1 ||
    input.lookbackDays > BACKTEST_LOOKBACK_DAYS_MAX
  ) {
    throw new ReportError(
      'INVALID_LOOKBACK',
      `lookbackDays must be 1 to ${BACKTEST_LOOKBACK_DAYS_MAX}`,
      'lookbackDays',
    );
  }
  if (!(input.confidence >= BACKTEST_CONFIDENCE_MIN && input.confidence <= BACKTEST_CONFIDENCE_MAX)) {
    throw new ReportError(
      'INVALID_CONFIDENCE',
      `confidence must be ${BACKTEST_CONFIDENCE_MIN} to ${BACKTEST_CONFIDENCE_MAX}`,
      'confidence',
    );
  }
}

/**
 * Backtests every member account, as a whole and per product (underlying), for one business date T.
 * For each day D of T - lookbackDays ... T - 1: the margin is the initial margin of the account's latest
 * receipt computed before D ended (for a product, recomputed with computeMargin from that receipt's own
 * inputs restricted to the product's positions); the realised loss is that receipt's positions revalued
 * from D's closing marks to D + 1's closing marks, in the margin asset (converted at the receipt's asset
 * prices). A day is left out when the receipt holds no position of the series, or D + 1 has no fresh mark
 * of a held instrument (a stale mark would fake a zero loss). Exceptions compare the exact Decimal loss
 * with the margin (loss > margin); the statistics are the risk lib's. Pure reads: stores nothing.
 */
export async function computeBacktestReports(
  manager: EntityManager,
  input: BacktestRunInput,
  nowEpochMs: number,
): Promise<BacktestReportDraft[]> {
  assertBacktestRunInput(input, nowEpochMs);
  const firstDay = shiftDay(input.businessDate, -input.lookbackDays);
  const lastTestedDay = shiftDay(input.businessDate, -1);
  const accountDays = await receiptsPerAccountDay(manager, firstDay, lastTestedDay);
  const receipts = await loadReceipts(manager, [...new Set(accountDays.map((row) => row.receiptId))]);
  const instrumentIds = new Set<string>();
  for (const receipt of receipts.values()) {
    for (const position of receipt.inputs.positions) instrumentIds.add(position.instrumentId);
  }
  const marks = await closingMarks(manager, [...instrumentIds].sort(), firstDay, input.businessDate);
  const byAccount = new Map<string, AccountDay[]>();
  for (const row of accountDays) byAccount.set(row.accountId, [...(byAccount.get(row.accountId) ?? []), row]);
  if (byAccount.size > BACKTEST_ACCOUNT_COUNT_MAX) {
    throw new ReportError('LIMIT_EXCEEDED', `more than ${BACKTEST_ACCOUNT_COUNT_MAX} accounts hold margin receipts`);
  }
  const drafts: BacktestReportDraft[] = [];
  const productMargins = new Map<string, Decimal>();
  for (const [accountId, days] of byAccount) {
    const series = new Map<string, BacktestObservation[]>();
    let marginAsset = '';
    for (const accountDay of days) {
      const receipt = receipts.get(accountDay.receiptId);
      if (receipt === undefined) continue;
      marginAsset = receipt.inputs.collateral.marginAsset;
      const products = [...new Set(heldProducts(receipt))].sort();
      if (products.length === 0) continue;
      for (const product of [BACKTEST_ACCOUNT_PRODUCT, ...products]) {
        const loss = realisedLoss(receipt, product, accountDay.day, marks);
        if (loss === null) continue;
        const margin =
          product === BACKTEST_ACCOUNT_PRODUCT
            ? receipt.initialMargin
            : productMargin(receipt, product, productMargins);
        const observation: BacktestObservation = {
          day: accountDay.day,
          receiptId: receipt.id,
          margin: margin.toFixed(),
          loss: loss.toFixed(),
          exception: loss.greaterThan(margin),
        };
        series.set(product, [...(series.get(product) ?? []), observation]);
      }
    }
    const memberFirmId = days[0]?.memberFirmId ?? '';
    for (const [product, observations] of [...series].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      drafts.push(draftOf({ input, accountId, memberFirmId, product, marginAsset, observations }));
    }
  }
  return drafts;
}

async function receiptsPerAccountDay(manager: EntityManager, firstDay: string, lastDay: string): Promise<AccountDay[]> {
  const rows: { account_id: string; member_firm_id: string; day: string; receipt_id: string }[] = await manager.query(
    `SELECT a.id AS account_id, a.member_firm_id, d.day::date::text AS day, r.id::text AS receipt_id
       FROM account a
      CROSS JOIN generate_series($1::date, $2::date, interval '1 day') AS d(day)
       JOIN LATERAL (
            SELECT id FROM margin_receipt
             WHERE account_id = a.id AND computed_at < ((d.day::date + 1)::timestamp AT TIME ZONE 'UTC')
             ORDER BY computed_at DESC, id DESC LIMIT 1) r ON true
      WHERE a.kind <> 'house' AND a.member_firm_id IS NOT NULL
      ORDER BY a.id, d.day`,
    [firstDay, lastDay],
  );
  return rows.map((row) => ({
    accountId: row.account_id,
    memberFirmId: row.member_firm_id,
    day: row.day,
    receiptId: row.receipt_id,
  }));
}

async function loadReceipts(manager: EntityManager, ids: readonly string[]): Promise<Map<string, StoredReceipt>> {
  const receipts = new Map<string, StoredReceipt>();
  if (ids.length === 0) return receipts;
  const rows = await manager.find(MarginReceiptEntity, { where: { id: In([...ids]) } });
  const inputs = await receiptInputs(manager, rows);
  for (const [index, row] of rows.entries()) {
    const raw = inputs[index] as Record<string, unknown>;
    receipts.set(row.id, {
      id: row.id,
      initialMargin: row.initialMargin,
      raw,
      inputs: raw as unknown as ReceiptInputs,
    });
  }
  return receipts;
}

async function closingMarks(
  manager: EntityManager,
  instrumentIds: readonly string[],
  firstDay: string,
  lastDay: string,
): Promise<ClosingMarks> {
  const marks: ClosingMarks = new Map();
  if (instrumentIds.length === 0) return marks;
  const rows: { instrument_id: string; day: string; price: string; fresh: boolean }[] = await manager.query(
    `SELECT i.id AS instrument_id, d.day::date::text AS day, m.price::text AS price,
            m.observed_at >= (d.day::date::timestamp AT TIME ZONE 'UTC') AS fresh
       FROM unnest($1::uuid[]) AS i(id)
      CROSS JOIN generate_series($2::date, $3::date, interval '1 day') AS d(day)
       JOIN LATERAL (
            SELECT price, observed_at FROM mark_price
             WHERE instrument_id = i.id AND observed_at < ((d.day::date + 1)::timestamp AT TIME ZONE 'UTC')
             ORDER BY observed_at DESC, id DESC LIMIT 1) m ON true`,
    [instrumentIds, firstDay, lastDay],
  );
  for (const row of rows) {
    const perDay = marks.get(row.instrument_id) ?? new Map<string, { price: Decimal; fresh: boolean }>();
    perDay.set(row.day, { price: new Decimal(row.price), fresh: row.fresh });
    marks.set(row.instrument_id, perDay);
  }
  return marks;
}

function heldProducts(receipt: StoredReceipt): string[] {
  const underlyingById = new Map(receipt.inputs.marketSnapshot.instruments.map((item) => [item.id, item.underlying]));
  return receipt.inputs.positions
    .filter((position) => !new Decimal(position.quantity).isZero())
    .map((position) => underlyingById.get(position.instrumentId) ?? '');
}

/**
 * Loss of the receipt's positions of `product` ('*' = all) from `day`'s close to the next day's close, in
 * the margin asset; null when a price is missing or stale. A gain is a negative loss.
 */
function realisedLoss(receipt: StoredReceipt, product: string, day: string, marks: ClosingMarks): Decimal | null {
  const nextDay = shiftDay(day, 1);
  const { marginAsset } = receipt.inputs.collateral;
  const instruments = new Map(receipt.inputs.marketSnapshot.instruments.map((item) => [item.id, item]));
  let profit = new Decimal(0);
  let held = 0;
  for (const position of receipt.inputs.positions) {
    const instrument = instruments.get(position.instrumentId);
    const quantity = new Decimal(position.quantity);
    if (instrument === undefined || quantity.isZero()) continue;
    if (product !== BACKTEST_ACCOUNT_PRODUCT && instrument.underlying !== product) continue;
    const open = marks.get(instrument.id)?.get(day);
    const close = marks.get(instrument.id)?.get(nextDay);
    if (open === undefined || close === undefined || !close.fresh) return null;
    const perContract = contractProfit(instrument.kind, open.price, close.price);
    let amount = quantity.times(instrument.contractSize).times(perContract);
    if (instrument.settlementAsset !== marginAsset) {
      const price = receipt.inputs.marketSnapshot.assetPrices?.[instrument.settlementAsset];
      if (price === undefined) return null;
      amount = amount.times(price);
    }
    profit = profit.plus(amount);
    held += 1;
  }
  return held === 0 ? null : profit.negated().toDecimalPlaces(AMOUNT_SCALE);
}

/** Profit of one unit of contract size held long when its mark moves from `open` to `close`. */
function contractProfit(kind: string, open: Decimal, close: Decimal): Decimal {
  switch (kind) {
    case 'inverse_perpetual':
    case 'inverse_future':
      // Face value in USD, P&L in coin: the change of -1/price.
      return new Decimal(1).dividedBy(open).minus(new Decimal(1).dividedBy(close)).toDecimalPlaces(AMOUNT_SCALE);
    default:
      // Linear contracts and options: options are marked at their premium in the settlement asset.
      return close.minus(open);
  }
}

function productMargin(receipt: StoredReceipt, product: string, cache: Map<string, Decimal>): Decimal {
  const key = `${receipt.id}|${product}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const underlyingById = new Map(receipt.inputs.marketSnapshot.instruments.map((item) => [item.id, item.underlying]));
  try {
    const request = parseMarginRequest({
      ...receipt.raw,
      positions: receipt.inputs.positions.filter((position) => underlyingById.get(position.instrumentId) === product),
    });
    const margin = new Decimal(computeMargin(request).initialMargin);
    cache.set(key, margin);
    return margin;
  } catch (error) {
    throw new ReportError(
      'RECOMPUTE_FAILED',
      `receipt ${receipt.id}: ${product} margin could not be recomputed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function draftOf(args: {
  input: BacktestRunInput;
  accountId: string;
  memberFirmId: string;
  product: string;
  marginAsset: string;
  observations: BacktestObservation[];
}): BacktestReportDraft {
  const { input, observations } = args;
  const expectedExceptionProbability = 1 - input.confidence;
  const exceptionIndicators = observations.map((observation) => observation.exception);
  const observationCount = observations.length;
  const exceptionCount = exceptionIndicators.filter(Boolean).length;
  const kupiec = kupiecProportionOfFailures({ observationCount, exceptionCount, expectedExceptionProbability });
  const christoffersen =
    observationCount < 2
      ? null
      : christoffersenConditionalCoverage({ exceptionIndicators, expectedExceptionProbability });
  const trafficLight = baselTrafficLightZone({ observationCount, exceptionCount, expectedExceptionProbability });
  const hashed = {
    businessDate: input.businessDate,
    accountId: args.accountId,
    product: args.product,
    marginAsset: args.marginAsset,
    lookbackDays: input.lookbackDays,
    confidence: input.confidence,
    observations,
  };
  return {
    businessDate: input.businessDate,
    accountId: args.accountId,
    memberFirmId: args.memberFirmId,
    product: args.product,
    marginAsset: args.marginAsset,
    lookbackDays: input.lookbackDays,
    confidence: input.confidence,
    observationCount,
    exceptionCount,
    coverageRatio: (observationCount - exceptionCount) / observationCount,
    kupiecLikelihoodRatio: kupiec.likelihoodRatio,
    kupiecPValue: kupiec.pValue,
    christoffersenIndependenceLikelihoodRatio: christoffersen?.independence.likelihoodRatio ?? null,
    christoffersenIndependencePValue: christoffersen?.independence.pValue ?? null,
    christoffersenConditionalCoverageLikelihoodRatio: christoffersen?.likelihoodRatio ?? null,
    christoffersenConditionalCoveragePValue: christoffersen?.pValue ?? null,
    trafficLight: trafficLight.zone satisfies BacktestTrafficLight,
    trafficLightCumulativeProbability: trafficLight.cumulativeProbability,
    observations,
    inputsHash: sha256Hex(canonicalJson(hashed)),
  };
}

export type BacktestStoreOutcome = 'created' | 'unchanged' | 'conflict' | 'replaced';

export interface StoredBacktestReport {
  readonly id: string;
  readonly accountId: string;
  readonly product: string;
  readonly outcome: BacktestStoreOutcome;
  readonly inputsHash: string;
  /** The hash the row held before, for 'conflict' (kept) and 'replaced' (overwritten). */
  readonly previousInputsHash?: string;
}

/**
 * Stores drafts, one row per (business date, account, product). The rule that keeps a re-run honest:
 * a row whose inputs hash matches is left as it is ('unchanged': same inputs, same stored result); a
 * row whose inputs changed (late marks, a recomputed receipt) is NEVER overwritten silently: it is kept
 * and reported as 'conflict', unless the caller passes `replace`, in which case it is overwritten,
 * stamped with replaced_at, and reported as 'replaced' with the old hash (the caller audits it in the
 * same transaction). Run it in one transaction; the row lock serialises concurrent runs of one key.
 */
export async function storeBacktestReports(
  manager: EntityManager,
  drafts: readonly BacktestReportDraft[],
  options: { readonly replace: boolean; readonly runBy: string; readonly nowEpochMs: number },
): Promise<StoredBacktestReport[]> {
  const stored: StoredBacktestReport[] = [];
  for (const draft of drafts) {
    const key = { businessDate: draft.businessDate, accountId: draft.accountId, product: draft.product };
    const existing = await manager.findOne(BacktestReportEntity, { where: key, lock: { mode: 'pessimistic_write' } });
    const base = { accountId: draft.accountId, product: draft.product, inputsHash: draft.inputsHash };
    if (existing === null) {
      const inserted = await manager.insert(BacktestReportEntity, { ...draft, runBy: options.runBy, replacedAt: null });
      stored.push({ ...base, id: String(inserted.identifiers[0]?.['id']), outcome: 'created' });
    } else if (existing.inputsHash === draft.inputsHash) {
      stored.push({ ...base, id: existing.id, outcome: 'unchanged' });
    } else if (!options.replace) {
      stored.push({ ...base, id: existing.id, outcome: 'conflict', previousInputsHash: existing.inputsHash });
    } else {
      await manager.update(
        BacktestReportEntity,
        { id: existing.id },
        { ...draft, runBy: options.runBy, replacedAt: new Date(options.nowEpochMs) },
      );
      stored.push({ ...base, id: existing.id, outcome: 'replaced', previousInputsHash: existing.inputsHash });
    }
  }
  return stored;
}

/** Outcome counts of one business date's run (computeBacktestReports then storeBacktestReports). */
export interface BacktestRunSummary {
  readonly businessDate: string;
  readonly lookbackDays: number;
  readonly confidence: number;
  readonly stored: readonly StoredBacktestReport[];
  readonly created: number;
  readonly unchanged: number;
  readonly conflicts: number;
  readonly replaced: number;
}

/**
 * One business date's backtests computed and stored in the caller's transaction, with outcome counts:
 * what the admin service's run endpoint and the worker's daily schedule both do.
 */
export async function runBacktestReports(
  manager: EntityManager,
  input: BacktestRunInput,
  options: { readonly replace: boolean; readonly runBy: string; readonly nowEpochMs: number },
): Promise<BacktestRunSummary> {
  const drafts = await computeBacktestReports(manager, input, options.nowEpochMs);
  const stored = await storeBacktestReports(manager, drafts, options);
  const count = (outcome: BacktestStoreOutcome): number => stored.filter((row) => row.outcome === outcome).length;
  return {
    ...input,
    stored,
    created: count('created'),
    unchanged: count('unchanged'),
    conflicts: count('conflict'),
    replaced: count('replaced'),
  };
}
