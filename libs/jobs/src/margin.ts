import { z } from 'zod';

export enum MarginJobName {
  /** Re-margins a chunk of accounts (one outbox event) at the decision's instant. */
  CheckAccounts = 'check-accounts',
}

/** Most accounts in one margin-check job: bounds a job's duration (one margin transaction per account). */
export const MARGIN_CHECK_ACCOUNTS_PER_JOB_MAX = 500;

/** How many margin-check jobs one worker process handles at once (each holds one database connection). */
export const MARGIN_QUEUE_CONCURRENCY = 4;

/** Attempts of one margin-check job before BullMQ marks it failed (the outbox reconciler then takes over). */
export const MARGIN_CHECK_ATTEMPTS_MAX = 5;

/** Base of the exponential back-off between attempts of a margin-check job. */
export const MARGIN_CHECK_BACKOFF_BASE_MS = 500;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const UNDERLYING = /^[A-Za-z0-9_.-]{1,32}$/;

/** Most underlyings one margin-check job names (a tick rarely names more than a few). */
export const MARGIN_CHECK_UNDERLYINGS_PER_JOB_MAX = 1_000;

/**
 * The accounts of a price move, named by a slice of the account-id space instead of a list: every member
 * account with an open position on one of `underlyings` whose id is >= `accountIdFrom` (none: from the
 * start) and < `accountIdBefore` (none: to the end). The slices of one trigger are contiguous, so an
 * account that opened a position after the decision is checked too, and the decision itself stays a few
 * hundred bytes however many accounts it covers (the tick-to-enqueue path writes 20 small rows, not 10,000
 * ids). The worker resolves the slice when the job runs.
 */
export const marginCheckAccountRangeSchema = z
  .object({
    underlyings: z.array(z.string().regex(UNDERLYING)).min(1).max(MARGIN_CHECK_UNDERLYINGS_PER_JOB_MAX),
    accountIdFrom: z.string().regex(UUID).nullable(),
    accountIdBefore: z.string().regex(UUID).nullable(),
  })
  .strict();

export type MarginCheckAccountRange = z.infer<typeof marginCheckAccountRangeSchema>;

const marginCheckFields = z
  .object({
    /** The outbox_event row this job carries (bigint as a decimal string): marked done by the processor. */
    outboxEventId: z.string().regex(/^[1-9][0-9]{0,18}$/),
    /** The accounts, listed (the periodic sweep, tests) ... */
    accountIds: z.array(z.string().regex(UUID)).min(1).max(MARGIN_CHECK_ACCOUNTS_PER_JOB_MAX).optional(),
    /** ... or as a slice of the accounts holding some underlyings (a price move). Exactly one of the two. */
    accountRange: marginCheckAccountRangeSchema.optional(),
    /** The instant of the decision (price observation or sweep): the accounts are margined as of it. */
    nowEpochMs: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  })
  .strict();

const exactlyOneAccountSelection = (value: { accountIds?: unknown; accountRange?: unknown }) =>
  (value.accountIds === undefined) !== (value.accountRange === undefined);
const EXACTLY_ONE = { message: 'exactly one of accountIds and accountRange' };

export const marginCheckJobDataSchema = marginCheckFields.refine(exactlyOneAccountSelection, EXACTLY_ONE);

export type MarginCheckJobData = z.infer<typeof marginCheckJobDataSchema>;

/** The payload an outbox event of kind 'margin-check' stores: the job data without the event id. */
export const marginCheckPayloadSchema = marginCheckFields
  .omit({ outboxEventId: true })
  .refine(exactlyOneAccountSelection, EXACTLY_ONE);

export type MarginCheckPayload = z.infer<typeof marginCheckPayloadSchema>;

export interface MarginCheckJobResult {
  readonly outboxEventId: string;
  readonly accountsMargined: number;
  /** Accounts whose margin state changed in this run (a second run of the same job changes none). */
  readonly stateChanges: number;
}

/** The BullMQ job id of an outbox event: a re-dispatch of the same event is dropped by BullMQ. */
export const outboxJobId = (outboxEventId: string): string => `outbox-${outboxEventId}`;

/**
 * Options for every margin-check job: explicit, never library defaults. The job id names the outbox
 * event (BullMQ 6 refuses ':' in custom ids). Completed jobs are kept an hour so a re-dispatch within that
 * window is deduplicated; failed ones a week for inspection.
 */
export const marginCheckJobOptions = (outboxEventId: string) =>
  ({
    jobId: outboxJobId(outboxEventId),
    attempts: MARGIN_CHECK_ATTEMPTS_MAX,
    backoff: { type: 'exponential', delay: MARGIN_CHECK_BACKOFF_BASE_MS },
    removeOnComplete: { age: 3_600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3_600, count: 10_000 },
  }) as const;
