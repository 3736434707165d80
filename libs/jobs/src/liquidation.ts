import { z } from 'zod';

export enum LiquidationJobName {
  /** Runs the steps of one liquidation (one breach) until it ends. */
  Execute = 'execute-liquidation',
}

/** How many liquidations one worker process runs at once (each step holds one database connection). */
export const LIQUIDATION_QUEUE_CONCURRENCY = 4;

/**
 * Other due liquidations each step of a liquidation job also steps, in its transaction (claimed SKIP
 * LOCKED): batching, up to 100 liquidations a transaction (persistence's LIQUIDATION_BATCH_MAX).
 */
export const LIQUIDATION_CLAIM_DUE = 99;

/** Attempts of one liquidation job before BullMQ marks it failed (the outbox reconciler then takes over). */
export const LIQUIDATION_ATTEMPTS_MAX = 8;

/** Base of the exponential back-off between attempts of a liquidation job. */
export const LIQUIDATION_BACKOFF_BASE_MS = 1_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const liquidationJobDataSchema = z
  .object({
    /** The outbox_event row this job carries (bigint as a decimal string): marked done at the end. */
    outboxEventId: z.string().regex(/^[1-9][0-9]{0,18}$/),
    /** The breach: the liquidation row. */
    liquidationId: z.string().regex(UUID),
    accountId: z.string().regex(UUID),
  })
  .strict();

export type LiquidationJobData = z.infer<typeof liquidationJobDataSchema>;

/** The payload an outbox event of kind 'liquidation' stores: the job data without the event id. */
export const liquidationPayloadSchema = liquidationJobDataSchema.omit({ outboxEventId: true });

export type LiquidationPayload = z.infer<typeof liquidationPayloadSchema>;

export interface LiquidationJobResult {
  readonly liquidationId: string;
  /** 'completed' by this job, or 'finished' already (a redelivered job). */
  readonly status: 'completed' | 'finished';
  /** Number of the liquidation's final step (its step count), run by this job; null when it had ended before. */
  readonly finalStepNumber: number | null;
}

/**
 * The BullMQ job id of a liquidation: it names the breach (account and liquidation row), never the account
 * alone, so a second breach of the same account is a new job even while the first one's job is retained.
 * BullMQ 6 refuses ':' in custom ids.
 */
export const liquidationJobId = (accountId: string, liquidationId: string): string =>
  `liq-${accountId}-${liquidationId}`;

/**
 * Options for every liquidation job: explicit, never library defaults. Completed jobs are kept a day (a
 * re-dispatch within it is deduplicated; after it, the step function's own checks make it a no-op);
 * failed ones a week for inspection. `removeOnComplete` may be overridden (tests run both ways).
 */
export const liquidationJobOptions = (
  payload: LiquidationPayload,
  retention: { readonly removeOnComplete?: boolean | { age: number; count: number } } = {},
) =>
  ({
    jobId: liquidationJobId(payload.accountId, payload.liquidationId),
    attempts: LIQUIDATION_ATTEMPTS_MAX,
    backoff: { type: 'exponential', delay: LIQUIDATION_BACKOFF_BASE_MS },
    removeOnComplete: retention.removeOnComplete ?? { age: 24 * 3_600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3_600, count: 10_000 },
  }) as const;
