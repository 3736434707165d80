import { Inject, Injectable } from '@nestjs/common';
import { countOpenOutboxEvents } from '@novation/persistence';
import { METRICS_REGISTRY } from '@novation/platform';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DataSource } from 'typeorm';

/** Margin pipeline metrics, on the worker's own registry (served at /metrics). */
@Injectable()
export class MarginMetrics {
  readonly checksProcessed: Counter<'outcome'>;
  readonly accountsMargined: Counter;
  readonly stateChanges: Counter<'from' | 'to'>;
  readonly accountFailures: Counter<'code'>;
  readonly jobDurationSeconds: Histogram;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry, dataSource: DataSource) {
    this.checksProcessed = new Counter({
      name: 'novation_margin_checks_processed_total',
      help: 'Margin-check jobs processed, by outcome (done, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.accountsMargined = new Counter({
      name: 'novation_margin_accounts_remargined_total',
      help: 'Accounts re-margined by margin-check jobs',
      registers: [registry],
    });
    this.stateChanges = new Counter({
      name: 'novation_margin_state_changes_total',
      help: 'Margin state transitions made by margin-check jobs',
      labelNames: ['from', 'to'],
      registers: [registry],
    });
    this.accountFailures = new Counter({
      name: 'novation_margin_account_failures_total',
      help: 'Accounts a margin-check job could not margin, by error code',
      labelNames: ['code'],
      registers: [registry],
    });
    this.jobDurationSeconds = new Histogram({
      name: 'novation_margin_check_job_duration_seconds',
      help: 'Duration of one margin-check job (up to 500 accounts)',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    new Gauge({
      name: 'novation_outbox_events_open',
      help: 'Outbox events not yet done, by status (pending, enqueued)',
      labelNames: ['status'],
      registers: [registry],
      // Read at scrape time: one indexed count query per scrape.
      async collect() {
        if (!dataSource.isInitialized) return;
        const counts = await countOpenOutboxEvents(dataSource.manager);
        this.set({ status: 'pending' }, counts.pending);
        this.set({ status: 'enqueued' }, counts.enqueued);
      },
    });
  }
}
