import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import { QueueName, SystemJobName, pingJobOptions, type PingJobData, type PingJobResult } from '@novation/jobs';
import { createTestDatabase, deleteQueueKeys, testConfig, type TestDatabase } from '@novation/testing';
import { Queue, QueueEvents } from 'bullmq';
import { createWorkerApp } from '../worker.app.js';

const JOB_WAIT_MS = 15_000;

describe('a job travels through real Redis to the worker and back', () => {
  let database: TestDatabase;
  let config: NovationConfig;
  let app: NestFastifyApplication;
  let queue: Queue<PingJobData, PingJobResult>;
  let events: QueueEvents;

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({ DATABASE_URL: database.url });
    app = await createWorkerApp(config);
    await app.init();
    const connection = { url: config.redis.url };
    queue = new Queue(QueueName.System, { connection, prefix: config.redis.queuePrefix });
    events = new QueueEvents(QueueName.System, { connection, prefix: config.redis.queuePrefix });
    await events.waitUntilReady();
  });

  afterAll(async () => {
    await events?.close();
    await queue?.close();
    await app?.close();
    await database?.drop();
    if (config) await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
  });

  it('answers a ping', async () => {
    const data: PingJobData = { requestId: 'round-trip-1', sentAt: new Date().toISOString() };
    const job = await queue.add(SystemJobName.Ping, data, pingJobOptions(data.requestId));
    const result = await job.waitUntilFinished(events, JOB_WAIT_MS);
    expect(result.requestId).toBe('round-trip-1');
    expect(result.handledBy).toMatch(/:\d+$/);
  });

  it('handles a redelivered ping id once (BullMQ dedupes by jobId)', async () => {
    const data: PingJobData = { requestId: 'dedupe-1', sentAt: new Date().toISOString() };
    const first = await queue.add(SystemJobName.Ping, data, pingJobOptions(data.requestId));
    const second = await queue.add(SystemJobName.Ping, data, pingJobOptions(data.requestId));
    expect(second.id).toBe(first.id);
    await expect(first.waitUntilFinished(events, JOB_WAIT_MS)).resolves.toMatchObject({ requestId: 'dedupe-1' });
  });

  it('fails a malformed payload at once, without retries', async () => {
    const job = await queue.add(
      SystemJobName.Ping,
      { requestId: 'bad id with spaces', sentAt: 'yesterday' },
      pingJobOptions('bad'),
    );
    await expect(job.waitUntilFinished(events, JOB_WAIT_MS)).rejects.toThrow(/invalid ping payload/);
    const failed = await queue.getJob(String(job.id));
    expect(failed?.attemptsMade).toBe(1);
  });
});
