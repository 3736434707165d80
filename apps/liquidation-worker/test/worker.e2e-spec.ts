import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import { createTestDatabase, deleteQueueKeys, testConfig, type TestDatabase } from '@novation/testing';
import { createWorkerApp } from '../src/worker.app.js';

describe('worker over HTTP', () => {
  let database: TestDatabase;
  let config: NovationConfig;
  let app: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({ DATABASE_URL: database.url });
    app = await createWorkerApp(config);
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    if (config) await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
  });

  it('reports liveness and readiness', async () => {
    expect((await fetch(`${baseUrl}/health/live`)).status).toBe(200);
    const ready = await fetch(`${baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
  });

  it('exposes Prometheus metrics', async () => {
    expect(await (await fetch(`${baseUrl}/metrics`)).text()).toMatch(/nodejs_heap_size_total_bytes/);
  });

  it('refuses to start against an unreachable Redis', async () => {
    await expect(
      createWorkerApp(testConfig({ DATABASE_URL: database.url, REDIS_URL: 'redis://127.0.0.1:1' })),
    ).rejects.toThrow();
  });
});
