import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { NOVATION_VERSION } from '@novation/config';
import { createTestDatabase, testConfig, type TestDatabase } from '@novation/testing';
import { createAdminApp } from '../src/admin.app.js';

describe('admin over HTTP', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createAdminApp(testConfig({ DATABASE_URL: database.url }));
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('serves its OpenAPI document', async () => {
    const response = await fetch(`${baseUrl}/docs-json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      info: { version: string };
      paths: Record<string, unknown>;
    };
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.version).toBe(NOVATION_VERSION);
    expect(Object.keys(document.paths)).toContain('/v1/version');
  });

  it('serves Swagger UI', async () => {
    const response = await fetch(`${baseUrl}/docs`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/swagger-ui/i);
  });

  it('answers the version endpoint', async () => {
    const response = await fetch(`${baseUrl}/v1/version`);
    expect(await response.json()).toEqual({ service: 'admin', version: NOVATION_VERSION, environment: 'test' });
  });

  it('answers 404 in JSON without internals for unknown routes', async () => {
    const response = await fetch(`${baseUrl}/v1/nothing-here`);
    expect(response.status).toBe(404);
    expect(JSON.stringify(await response.json())).not.toMatch(/at .*\.ts|node_modules/);
  });

  it('reports readiness with PostgreSQL and Redis', async () => {
    const response = await fetch(`${baseUrl}/health/ready`);
    expect(response.status).toBe(200);
  });
});
