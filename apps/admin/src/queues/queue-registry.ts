import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { NovationConfig } from '@novation/config';
import { QueueName } from '@novation/jobs';
import { NOVATION_CONFIG } from '@novation/platform';
import { Queue } from 'bullmq';

/**
 * One BullMQ Queue handle per queue of the QueueName enum, read at start (a queue added to the enum is
 * listed without a change here). The admin service only inspects queues: it never runs a worker.
 */
@Injectable()
export class QueueRegistry implements OnApplicationShutdown {
  private readonly queues: ReadonlyMap<string, Queue>;

  constructor(@Inject(NOVATION_CONFIG) config: NovationConfig) {
    const names = Object.values(QueueName).filter((value): value is QueueName => typeof value === 'string');
    this.queues = new Map(
      names.map((name) => [
        name,
        new Queue(name, {
          // Explicit: BullMQ's default would retry a command forever while Redis is away.
          connection: { url: config.redis.url, maxRetriesPerRequest: 1, enableOfflineQueue: true },
          prefix: config.redis.queuePrefix,
        }),
      ]),
    );
  }

  /** Queue names in enum order. */
  names(): string[] {
    return [...this.queues.keys()];
  }

  /** Every queue, in enum order. */
  all(): Queue[] {
    return [...this.queues.values()];
  }

  get(name: string): Queue | undefined {
    return this.queues.get(name);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.all().map((queue) => queue.close()));
  }
}
