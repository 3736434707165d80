import { createHash } from 'node:crypto';
import { MARGIN_CHECK_ACCOUNTS_PER_JOB_MAX, type MarginCheckPayload } from '@novation/jobs';
import type { DataSource, EntityManager } from 'typeorm';
import { isUnderlying } from '../market-data/validation.js';
import {
  publishMarketData,
  type MarketDataBatch,
  type MarketDataPolicy,
  type PublishMarketDataResult,
} from '../market-data/publish-marks.js';
import { OutboxError, recordOutboxEvent } from './outbox.js';

/**
 * Most margin-check events one trigger records (x 500 accounts = 500,000 accounts). A trigger that
 * would need more is refused loudly rather than recorded partly.
 */
export const MARGIN_CHECK_EVENTS_PER_TRIGGER_MAX = 1_000;

/** Most underlyings one trigger names. */
export const MARGIN_CHECK_UNDERLYINGS_PER_TRIGGER_MAX = 1_000;

const TRIGGER_ID = /^[A-Za-z0-9_.:-]{1,150}$/;

export interface MarginCheckTrigger {
  /** Names the decision (e.g. `<source>-<observedAt>-<hash>`); the dedupe keys derive from it. */
  readonly triggerId: string;
  /** The decision's instant: the accounts are margined as of it. */
  readonly nowEpochMs: number;
}

export interface RecordedMarginChecks {
  readonly accountCount: number;
  /** One per chunk of at most 500 accounts, in account id order. */
  readonly eventIds: readonly string[];
  /** Events newly created (0 when the same trigger was recorded before). */
  readonly createdCount: number;
}

/**
 * Records margin-check events for every member account with an open position in an instrument on one of
 * `underlyings`, in chunks of at most 500 accounts (dedupe key `margin-check-<triggerId>-<chunk>`). Call
 * it in the transaction that accepted the prices, so the move and its re-margin commit together.
 */
export async function recordMarginChecksForUnderlyings(
  manager: EntityManager,
  trigger: MarginCheckTrigger & { readonly underlyings: readonly string[] },
): Promise<RecordedMarginChecks> {
  assertTrigger(trigger);
  const underlyings = [...new Set(trigger.underlyings)].sort();
  if (underlyings.length > MARGIN_CHECK_UNDERLYINGS_PER_TRIGGER_MAX) {
    throw new OutboxError(`more than ${MARGIN_CHECK_UNDERLYINGS_PER_TRIGGER_MAX} underlyings in one trigger`);
  }
  underlyings.forEach((underlying) => {
    if (!isUnderlying(underlying)) throw new OutboxError(`invalid underlying ${JSON.stringify(underlying)}`);
  });
  if (underlyings.length === 0) return { accountCount: 0, eventIds: [], createdCount: 0 };
  const rows: { account_id: string }[] = await manager.query(
    `SELECT DISTINCT position.account_id
       FROM position
       JOIN instrument ON instrument.id = position.instrument_id
       JOIN account ON account.id = position.account_id
      WHERE position.quantity <> 0 AND instrument.underlying = ANY($1::varchar[]) AND account.kind <> 'house'
      ORDER BY position.account_id`,
    [underlyings],
  );
  return recordChunks(
    manager,
    trigger,
    rows.map((row) => row.account_id),
  );
}

/** Records margin-check events for every member account with any open position: the periodic safety net. */
export async function recordMarginChecksForAllAccounts(
  manager: EntityManager,
  trigger: MarginCheckTrigger,
): Promise<RecordedMarginChecks> {
  assertTrigger(trigger);
  const rows: { account_id: string }[] = await manager.query(
    `SELECT DISTINCT position.account_id
       FROM position JOIN account ON account.id = position.account_id
      WHERE position.quantity <> 0 AND account.kind <> 'house'
      ORDER BY position.account_id`,
  );
  return recordChunks(
    manager,
    trigger,
    rows.map((row) => row.account_id),
  );
}

/**
 * Publishes market data, then records the margin checks of the underlyings whose prices were accepted,
 * keyed by the accepted observation (`<source>-<max observedAt>-<underlyings hash>`).
 *
 * NOTE: two transactions. publishMarketData owns its transaction, so a crash between the two loses the
 * trigger; the periodic sweep re-margins every account anyway. Folding the recording into
 * publishMarketData's transaction closes that gap.
 */
export async function publishMarketDataAndRecordChecks(
  dataSource: DataSource,
  batch: MarketDataBatch,
  policy: MarketDataPolicy,
): Promise<PublishMarketDataResult & { readonly marginChecks: RecordedMarginChecks }> {
  let marginChecks: RecordedMarginChecks = { accountCount: 0, eventIds: [], createdCount: 0 };
  // The checks are recorded inside the publishing transaction: the accepted prices and the decision to
  // re-margin commit together or not at all.
  const published = await publishMarketData(dataSource, batch, policy, {
    onAccepted: async (manager, accepted) => {
      const underlyingsHash = createHash('sha256').update(accepted.underlyings.join(',')).digest('hex').slice(0, 16);
      marginChecks = await recordMarginChecksForUnderlyings(manager, {
        underlyings: accepted.underlyings,
        triggerId: `${batch.source}-${accepted.observedAtMaxEpochMs}-${underlyingsHash}`,
        nowEpochMs: Math.max(accepted.observedAtMaxEpochMs, policy.nowEpochMs),
      });
    },
  });
  return { ...published, marginChecks };
}

function assertTrigger(trigger: MarginCheckTrigger): void {
  if (!TRIGGER_ID.test(trigger.triggerId)) {
    throw new OutboxError(`invalid trigger id ${JSON.stringify(trigger.triggerId)}`);
  }
  if (!Number.isSafeInteger(trigger.nowEpochMs) || trigger.nowEpochMs < 0) {
    throw new OutboxError('nowEpochMs must be a non-negative integer');
  }
}

async function recordChunks(
  manager: EntityManager,
  trigger: MarginCheckTrigger,
  accountIds: readonly string[],
): Promise<RecordedMarginChecks> {
  const chunkCount = Math.ceil(accountIds.length / MARGIN_CHECK_ACCOUNTS_PER_JOB_MAX);
  if (chunkCount > MARGIN_CHECK_EVENTS_PER_TRIGGER_MAX) {
    throw new OutboxError(`${accountIds.length} accounts need more than ${MARGIN_CHECK_EVENTS_PER_TRIGGER_MAX} events`);
  }
  const eventIds: string[] = [];
  let createdCount = 0;
  for (let chunk = 0; chunk < chunkCount; chunk += 1) {
    const start = chunk * MARGIN_CHECK_ACCOUNTS_PER_JOB_MAX;
    const payload: MarginCheckPayload = {
      accountIds: accountIds.slice(start, start + MARGIN_CHECK_ACCOUNTS_PER_JOB_MAX),
      nowEpochMs: trigger.nowEpochMs,
    };
    const recorded = await recordOutboxEvent(manager, {
      kind: 'margin-check',
      dedupeKey: `margin-check-${trigger.triggerId}-${chunk}`,
      payload,
    });
    eventIds.push(recorded.id);
    if (recorded.created) createdCount += 1;
  }
  return { accountCount: accountIds.length, eventIds, createdCount };
}
