import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import { QueueName } from '@novation/jobs';
import { createTestDatabase, deleteQueueKeys, testConfig, type TestDatabase } from '@novation/testing';
import { Queue } from 'bullmq';
import { createAdminApp } from '../src/admin.app.js';
import { issueAdminToken } from '../src/auth/admin-token.js';

describe('Bull Board at /queues', () => {
  let database: TestDatabase;
  let config: NovationConfig;
  let app: NestFastifyApplication;
  let baseUrl: string;
  let auditor: string;
  let operator: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({ DATABASE_URL: database.url });
    app = await createAdminApp(config);
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    const claims = { ttlSeconds: 3_600, nowEpochMs: Date.now() };
    auditor = await issueAdminToken(config.adminToken, { ...claims, subject: 'arthur', roles: ['auditor'] });
    operator = await issueAdminToken(config.adminToken, { ...claims, subject: 'otto', roles: ['operations'] });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    if (config !== undefined) await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
  });

  function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${baseUrl}${path}`, { headers });
  }

  it('refuses anonymous callers and member API keys, on the page and on its API', async () => {
    for (const path of ['/queues', '/queues/api/queues']) {
      const anonymous = await get(path);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ code: 'MISSING_TOKEN' });
      const member = await get(path, { authorization: 'Bearer nov_0123456789abcdef' });
      expect(member.status).toBe(401);
      expect(await member.json()).toMatchObject({ code: 'MEMBER_API_KEY_REFUSED' });
      const forged = await get(path, { cookie: 'novation_board_session=not-a-token' });
      expect(forged.status).toBe(401);
    }
  });

  it('shows every queue of QueueName to an admin bearer token', async () => {
    const page = await get('/queues', { authorization: `Bearer ${auditor}` });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const api = await get('/queues/api/queues', { authorization: `Bearer ${auditor}` });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string }[] };
    expect(body.queues.map((queue) => queue.name).sort()).toEqual(Object.values(QueueName).sort());
  });

  it('is read-only for auditors; operations may act', async () => {
    const pause = (token: string) =>
      fetch(`${baseUrl}/queues/api/queues/${QueueName.System}/pause`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}` },
      });
    const refused = await pause(auditor);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'FORBIDDEN_ROLE' });
    const queue = new Queue(QueueName.System, {
      connection: { url: config.redis.url },
      prefix: config.redis.queuePrefix,
    });
    try {
      expect(await queue.isPaused()).toBe(false);
      expect((await pause(operator)).status).toBeLessThan(300);
      expect(await queue.isPaused()).toBe(true);
    } finally {
      await queue.close();
    }
  });

  it('opens a browser session: a short-lived HttpOnly cookie scoped to /queues', async () => {
    const anonymous = await fetch(`${baseUrl}/queues/session`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    const opened = await fetch(`${baseUrl}/queues/session`, {
      method: 'POST',
      headers: { authorization: `Bearer ${auditor}` },
    });
    expect(opened.status).toBe(204);
    const cookie = opened.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(
      /^novation_board_session=[\w-]+\.[\w-]+\.[\w-]+; Path=\/queues; Max-Age=900; HttpOnly; SameSite=Strict$/,
    );
    const session = cookie.split(';')[0] as string;
    const page = await get('/queues', { cookie: session });
    expect(page.status).toBe(200);
    // The session carries the auditor's roles: still read-only.
    const pause = await fetch(`${baseUrl}/queues/api/queues/${QueueName.Margin}/pause`, {
      method: 'PUT',
      headers: { cookie: session },
    });
    expect(pause.status).toBe(403);
  });
});
