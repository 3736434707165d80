import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@novation/platform';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Liquidation metrics, on the worker's own registry (served at /metrics). */
@Injectable()
export class LiquidationMetrics {
  readonly jobsProcessed: Counter<'outcome'>;
  readonly steps: Counter<'status'>;
  readonly stepDurationSeconds: Histogram;
  readonly batchFallbacks: Counter;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.jobsProcessed = new Counter({
      name: 'novation_liquidation_jobs_processed_total',
      help: 'Liquidation job runs, by outcome (completed, finished, delayed, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.steps = new Counter({
      name: 'novation_liquidation_steps_total',
      help: 'Liquidation step calls, by status (slice, completed, waiting, finished)',
      labelNames: ['status'],
      registers: [registry],
    });
    this.batchFallbacks = new Counter({
      name: 'novation_liquidation_batch_fallbacks_total',
      help: 'Liquidation batches whose shared writes failed and that ran one by one instead',
      registers: [registry],
    });
    this.stepDurationSeconds = new Histogram({
      name: 'novation_liquidation_step_duration_seconds',
      help: 'Duration of one liquidation step call (a batch of up to 100 liquidations)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }
}
