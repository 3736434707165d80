import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  LIQUIDATION_CLAIM_DUE,
  LIQUIDATION_QUEUE_CONCURRENCY,
  LiquidationJobName,
  QueueName,
  liquidationJobDataSchema,
  type LiquidationJobData,
  type LiquidationJobResult,
} from '@novation/jobs';
import {
  LiquidationError,
  executeLiquidationSteps,
  markOutboxEventDone,
  type LiquidationStepOutcome,
} from '@novation/persistence';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { LiquidationMetrics } from './liquidation.metrics.js';

/** One step is one short transaction; the lock outlives a run of STEPS_PER_RUN_MAX of them with room. */
const LIQUIDATION_JOB_LOCK_DURATION_MS = 60_000;

/**
 * Most steps one run of a job executes back to back (a cool-down of 0 would otherwise let one
 * liquidation hold a worker slot until it ends). Past it the job is re-delayed to now, behind the others.
 */
export const STEPS_PER_RUN_MAX = 20;

/**
 * Executes one liquidation (one breach), step by step, then marks its outbox event done.
 *
 * Batching: each step of the job's own liquidation also steps up to LIQUIDATION_CLAIM_DUE other due
 * liquidations in the same transaction (executeLiquidationSteps, claimed FOR UPDATE SKIP LOCKED: one another
 * worker is stepping is left to it; one whose step cannot be batched, a waterfall cover say, is left to its
 * own job, so the queue's slots run those side by side). Their own jobs stay the exactly-once carriers:
 * when one runs, its liquidation is already further on, so it waits for the cool-down (delayed) or finds
 * it ended ('finished') and marks its outbox event done. In a crash the first jobs thus step most of the
 * book at batch cost.
 *
 * The cool-down between slices is honoured by re-scheduling, not by sleeping: after a slice, the job is
 * moved to the delayed set until the step's `nextStepAtEpochMs` (job.moveToDelayed + DelayedError), so a
 * cooling liquidation holds no worker slot, no connection and no lock, survives a worker restart (the
 * delayed job is in Redis) and does not count as a failed attempt. Every step is its own transaction and
 * checks the liquidation row itself (ended: 'finished'; cooling: 'waiting'), so a redelivered or
 * duplicated job writes nothing twice. Errors are retried with back-off up to the job's attempts; an
 * unknown liquidation or a malformed payload fails at once.
 */
@Processor(QueueName.Liquidation, {
  concurrency: LIQUIDATION_QUEUE_CONCURRENCY,
  lockDuration: LIQUIDATION_JOB_LOCK_DURATION_MS,
})
export class LiquidationProcessor extends WorkerHost implements OnModuleDestroy {
  private readonly logger = new Logger(LiquidationProcessor.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: LiquidationMetrics,
  ) {
    super();
  }

  /** Drains on shutdown while the database pool is still open (see MarginCheckProcessor). */
  async onModuleDestroy(): Promise<void> {
    await this.worker.close();
  }

  async process(job: Job<unknown, LiquidationJobResult>, token?: string): Promise<LiquidationJobResult> {
    if (job.name !== LiquidationJobName.Execute) {
      throw new UnrecoverableError(`unknown job name ${JSON.stringify(job.name)} on queue ${QueueName.Liquidation}`);
    }
    const parsed = liquidationJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid liquidation payload: ${parsed.error.message}`);
    try {
      return await this.run(job, parsed.data, token);
    } catch (error) {
      if (error instanceof DelayedError) {
        this.metrics.jobsProcessed.inc({ outcome: 'delayed' });
        throw error;
      }
      this.metrics.jobsProcessed.inc({ outcome: 'failed' });
      if (error instanceof LiquidationError && error.code === 'UNKNOWN_LIQUIDATION') {
        throw new UnrecoverableError(error.message);
      }
      throw error;
    }
  }

  private async run(job: Job, data: LiquidationJobData, token: string | undefined): Promise<LiquidationJobResult> {
    for (let step = 0; step < STEPS_PER_RUN_MAX; step += 1) {
      const outcome = await this.step(data.liquidationId);
      if (outcome.status === 'completed' || outcome.status === 'finished') {
        await markOutboxEventDone(this.dataSource.manager, data.outboxEventId, Date.now());
        this.metrics.jobsProcessed.inc({ outcome: outcome.status });
        return { liquidationId: data.liquidationId, status: outcome.status, finalStepNumber: outcome.stepNumber };
      }
      const nextStepAtEpochMs = outcome.nextStepAtEpochMs ?? Date.now();
      if (nextStepAtEpochMs > Date.now()) await this.delayUntil(job, nextStepAtEpochMs, token);
    }
    await this.delayUntil(job, Date.now(), token);
    throw new Error('unreachable: delayUntil throws');
  }

  /** One step of the job's liquidation, with up to LIQUIDATION_CLAIM_DUE others due, in one transaction. */
  private async step(liquidationId: string): Promise<LiquidationStepOutcome> {
    const stopTimer = this.metrics.stepDurationSeconds.startTimer();
    const { outcomes, failures, batchErrors } = await executeLiquidationSteps(
      this.dataSource,
      [liquidationId],
      Date.now(),
      {
        claimDue: LIQUIDATION_CLAIM_DUE,
        stepDeferredClaims: false,
      },
    ).finally(stopTimer);
    for (const outcome of outcomes.values()) this.metrics.steps.inc({ status: outcome.status });
    for (const error of batchErrors) {
      this.metrics.batchFallbacks.inc();
      this.logger.warn(`liquidation batch ran one by one: ${error.message}`);
    }
    // A claimed liquidation that failed is its own job's to retry; only the job's own failure is thrown.
    const failure = failures.get(liquidationId);
    if (failure !== undefined) throw failure;
    const outcome = outcomes.get(liquidationId);
    if (outcome === undefined) throw new Error(`liquidation ${liquidationId} was not stepped`);
    return outcome;
  }

  /** Moves the job to the delayed set until `epochMs` and ends this run (BullMQ's documented pattern). */
  private async delayUntil(job: Job, epochMs: number, token: string | undefined): Promise<never> {
    if (token === undefined) throw new Error('a liquidation job runs only with a lock token');
    await job.moveToDelayed(epochMs, token);
    throw new DelayedError();
  }
}
