import { z } from 'zod';

/** Every BullMQ queue of Novation. Producers and processors name queues only through this enum. */
export enum QueueName {
  /** Operational jobs: round-trip probes, housekeeping. */
  System = 'system',
  /** Re-margining of accounts after a price move or a periodic sweep; fed by the outbox dispatcher. */
  Margin = 'margin',
  /** Execution of recorded breaches (one job per liquidation row); fed by the outbox dispatcher. */
  Liquidation = 'liquidation',
  /** Scheduled risk reports (the daily backtest). */
  Reports = 'reports',
}

export enum SystemJobName {
  /** Travels from a producer through Redis to a worker and back; proves the pipeline works end to end. */
  Ping = 'ping',
}

export const pingJobDataSchema = z
  .object({
    requestId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/),
    sentAt: z.iso.datetime(),
  })
  .strict();

export type PingJobData = z.infer<typeof pingJobDataSchema>;

export interface PingJobResult {
  readonly requestId: string;
  readonly handledBy: string;
  readonly handledAt: string;
}

/** Options for every ping: explicit, never library defaults. BullMQ 6 refuses custom job ids containing ":". */
export const pingJobOptions = (requestId: string) =>
  ({
    jobId: `ping-${requestId}`,
    attempts: 3,
    backoff: { type: 'exponential', delay: 200 },
    removeOnComplete: { age: 3_600, count: 1_000 },
    removeOnFail: { age: 24 * 3_600, count: 10_000 },
  }) as const;

/** How many system jobs one worker process handles at once. */
export const SYSTEM_QUEUE_CONCURRENCY = 4;
