import { readFileSync, writeFileSync } from 'node:fs';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { NOVATION_VERSION } from '@novation/config';
import { createTestDatabase, testConfig, type TestDatabase } from '@novation/testing';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { createApiApp } from '../src/api.app.js';

const SCHEMA_FILE = new URL('../schema.gql', import.meta.url);

describe('api over HTTP', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createApiApp(testConfig({ DATABASE_URL: database.url }));
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const graphql = async (query: string) => {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    return {
      status: response.status,
      body: (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] },
    };
  };

  it('answers the version query', async () => {
    const { status, body } = await graphql('{ version { service version environment } }');
    expect(status).toBe(200);
    expect(body.data).toEqual({ version: { service: 'api', version: NOVATION_VERSION, environment: 'test' } });
  });

  it('answers the health query with PostgreSQL and Redis probed', async () => {
    const { body } = await graphql('{ health { status database redis } }');
    expect(body.data).toEqual({ health: { status: 'UP', database: 'UP', redis: 'UP' } });
  });

  it('rejects an unknown field with a GraphQL validation error', async () => {
    const { status, body } = await graphql('{ nope }');
    expect(status).toBe(400);
    const [error] = body.errors as { message: string }[];
    expect(error?.message).toMatch(/Cannot query field "nope"/);
  });

  it('serves liveness, readiness and Prometheus metrics', async () => {
    expect((await fetch(`${baseUrl}/health/live`)).status).toBe(200);
    const ready = await fetch(`${baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' }, redis: { status: 'up' } },
    });
    const metrics = await fetch(`${baseUrl}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/process_cpu_user_seconds_total/);
    // Every answered request is counted by route pattern (the access log's numbers).
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/health\/live",status_code="200"\} [1-9]/,
    );
  });

  it('matches the committed schema.gql (UPDATE_SCHEMA=1 rewrites it)', () => {
    const schema = `${printSchema(lexicographicSortSchema(app.get(GraphQLSchemaHost).schema))}\n`;
    if (process.env['UPDATE_SCHEMA'] === '1') writeFileSync(SCHEMA_FILE, schema);
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(schema);
  });
});
