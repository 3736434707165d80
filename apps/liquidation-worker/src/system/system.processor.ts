import { hostname } from 'node:os';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import {
  QueueName,
  SYSTEM_QUEUE_CONCURRENCY,
  SystemJobName,
  pingJobDataSchema,
  type PingJobResult,
} from '@novation/jobs';
import { UnrecoverableError, type Job } from 'bullmq';

/** Handles operational jobs. A job with an unknown name or a malformed payload fails at once, unretried. */
@Processor(QueueName.System, { concurrency: SYSTEM_QUEUE_CONCURRENCY })
export class SystemProcessor extends WorkerHost {
  private readonly workerId = `${hostname()}:${process.pid}`;

  async process(job: Job<unknown, PingJobResult>): Promise<PingJobResult> {
    switch (job.name) {
      case SystemJobName.Ping:
        return this.ping(job.data);
      default:
        throw new UnrecoverableError(`unknown job name ${JSON.stringify(job.name)} on queue ${QueueName.System}`);
    }
  }

  private ping(data: unknown): PingJobResult {
    const parsed = pingJobDataSchema.safeParse(data);
    if (!parsed.success) throw new UnrecoverableError(`invalid ping payload: ${parsed.error.message}`);
    // Idempotent: answering the same ping twice has no effect beyond the answer.
    return { requestId: parsed.data.requestId, handledBy: this.workerId, handledAt: new Date().toISOString() };
  }
}
