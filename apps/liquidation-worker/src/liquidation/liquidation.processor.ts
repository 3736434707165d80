import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { OnModuleDestroy } from '@nestjs/common';
import {
  LIQUIDATION_QUEUE_CONCURRENCY,
  LiquidationJobName,
  QueueName,
  liquidationJobDataSchema,
  type LiquidationJobData,
  type LiquidationJobResult,
} from '@novation/jobs';
import { LiquidationError, executeLiquidationStep, markOutboxEventDone } from '@novation/persistence';
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
      const stopTimer = this.metrics.stepDurationSeconds.startTimer();
      const outcome = await executeLiquidationStep(this.dataSource, data.liquidationId, Date.now()).finally(stopTimer);
      this.metrics.steps.inc({ status: outcome.status });
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

  /** Moves the job to the delayed set until `epochMs` and ends this run (BullMQ's documented pattern). */
  private async delayUntil(job: Job, epochMs: number, token: string | undefined): Promise<never> {
    if (token === undefined) throw new Error('a liquidation job runs only with a lock token');
    await job.moveToDelayed(epochMs, token);
    throw new DelayedError();
  }
}
