import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { OnModuleDestroy } from '@nestjs/common';
import {
  MARGIN_QUEUE_CONCURRENCY,
  MarginJobName,
  QueueName,
  marginCheckJobDataSchema,
  type MarginCheckJobData,
  type MarginCheckJobResult,
} from '@novation/jobs';
import {
  MarginServiceError,
  accountsInMarginCheckRange,
  marginAccounts,
  markOutboxEventDone,
} from '@novation/persistence';
import { UnrecoverableError, type Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { MarginMetrics } from './margin.metrics.js';

/** A job of 500 accounts takes a few seconds at most; the lock outlives that with room to spare. */
const MARGIN_JOB_LOCK_DURATION_MS = 60_000;

/** Refusals that mean "nothing to margin here", not "try again". */
const SKIPPED_CODES: ReadonlySet<string> = new Set(['UNKNOWN_ACCOUNT', 'NOT_A_MEMBER_ACCOUNT']);

/**
 * Re-margins the accounts of one outbox event (marginAccounts: a transaction per batch of accounts, each
 * getting the receipt and state change a run of its own would give it), then marks the event done.
 * Idempotent: margining an account again stores one more receipt and changes no state (the state moves by
 * compare-and-swap, so a margin call opens once). An account that fails does not stop the others; the job
 * then fails and is retried with back-off.
 */
@Processor(QueueName.Margin, { concurrency: MARGIN_QUEUE_CONCURRENCY, lockDuration: MARGIN_JOB_LOCK_DURATION_MS })
export class MarginCheckProcessor extends WorkerHost implements OnModuleDestroy {
  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: MarginMetrics,
  ) {
    super();
  }

  /**
   * Drains on shutdown: closes the worker (it takes no new job and waits for the running ones) in the
   * first shutdown phase, while the database pool is still open. Nest's BullMQ module would close it only
   * in the last phase, after TypeORM may already have closed the pool under a running job.
   */
  async onModuleDestroy(): Promise<void> {
    await this.worker.close();
  }

  async process(job: Job<unknown, MarginCheckJobResult>): Promise<MarginCheckJobResult> {
    switch (job.name) {
      case MarginJobName.CheckAccounts:
        return this.checkAccounts(job.data);
      default:
        throw new UnrecoverableError(`unknown job name ${JSON.stringify(job.name)} on queue ${QueueName.Margin}`);
    }
  }

  private async checkAccounts(data: unknown): Promise<MarginCheckJobResult> {
    const parsed = marginCheckJobDataSchema.safeParse(data);
    if (!parsed.success) throw new UnrecoverableError(`invalid margin-check payload: ${parsed.error.message}`);
    const stopTimer = this.metrics.jobDurationSeconds.startTimer();
    try {
      const result = await this.marginAll(parsed.data);
      this.metrics.checksProcessed.inc({ outcome: 'done' });
      return result;
    } catch (error) {
      this.metrics.checksProcessed.inc({ outcome: 'failed' });
      throw error;
    } finally {
      stopTimer();
    }
  }

  private async marginAll(data: MarginCheckJobData): Promise<MarginCheckJobResult> {
    // A price move names a slice of the accounts holding its underlyings: resolved now, so an account
    // that opened a position since the decision is checked too.
    const accountIds =
      data.accountIds ??
      (data.accountRange === undefined
        ? []
        : await accountsInMarginCheckRange(this.dataSource.manager, data.accountRange));
    // Batched: accounts are margined MARGIN_BATCH_ACCOUNTS_MAX per transaction, sharing what they read.
    const batch = await marginAccounts(this.dataSource, accountIds, data.nowEpochMs);
    let stateChanges = 0;
    for (const outcome of batch.outcomes.values()) {
      this.metrics.accountsMargined.inc();
      if (outcome.newState !== outcome.previousState) {
        stateChanges += 1;
        this.metrics.stateChanges.inc({ from: outcome.previousState, to: outcome.newState });
      }
    }
    const accountsMargined = batch.outcomes.size;
    const failures: string[] = [];
    for (const [accountId, error] of batch.failures) {
      const code = error instanceof MarginServiceError ? error.code : 'UNEXPECTED';
      if (SKIPPED_CODES.has(code)) continue;
      this.metrics.accountFailures.inc({ code });
      failures.push(`${accountId}: ${error.message}`);
    }
    if (failures.length > 0) {
      throw new Error(`${failures.length} of ${accountIds.length} accounts not margined; first: ${failures[0]}`);
    }
    await markOutboxEventDone(this.dataSource.manager, data.outboxEventId, Date.now());
    return { outboxEventId: data.outboxEventId, accountsMargined, stateChanges };
  }
}
