import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  AccountEntity,
  BacktestReportEntity,
  MemberFirmEntity,
  VenueEntity,
  seedDemoMarket,
} from '@novation/persistence';
import { createTestDatabase, testConfig, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { createApiApp } from '../src/api.app.js';
import { ApiKeyService } from '../src/auth/api-key.service.js';

const HOUR_MS = 3_600_000;
const QUERY = `query($accountId: ID!, $from: String, $to: String, $first: Int!, $after: String) {
  backtestResults(accountId: $accountId, from: $from, to: $to, first: $first, after: $after) {
    edges { cursor node { id accountId businessDate product exceptionCount observationCount trafficLight kupiecPValue } }
    pageInfo { hasNextPage endCursor } } }`;

interface Connection {
  edges: {
    cursor: string;
    node: {
      id: string;
      accountId: string;
      businessDate: string;
      product: string;
      exceptionCount: number;
      trafficLight: string;
    };
  }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

describe('backtestResults over GraphQL', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let baseUrl: string;
  let alphaKey: string;
  let bravoKey: string;
  let venueKey: string;
  let alphaMain: string;
  let bravoMain: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createApiApp(testConfig({ DATABASE_URL: database.url }));
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    dataSource = app.get(DataSource);
    await seedDemoMarket(dataSource, new Date(Date.now() - HOUR_MS));
    const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' });
    const bravo = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'BRAVO' });
    alphaMain = (await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId: alpha.id, code: 'main' })).id;
    bravoMain = (await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId: bravo.id, code: 'main' })).id;
    const venueId = (await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' })).id;
    const apiKeys = app.get(ApiKeyService);
    alphaKey = (await apiKeys.issue({ role: 'member', memberFirmId: alpha.id, label: 'alpha desk' })).key;
    bravoKey = (await apiKeys.issue({ role: 'member', memberFirmId: bravo.id, label: 'bravo desk' })).key;
    venueKey = (await apiKeys.issue({ role: 'venue', venueId, label: 'demo venue' })).key;
    // Three dates x two products for ALPHA main, one row for BRAVO main.
    for (const businessDate of ['2026-11-20', '2026-11-21', '2026-11-22']) {
      for (const product of ['*', 'BTC-USD']) {
        await insertReport(dataSource, {
          accountId: alphaMain,
          memberFirmId: alpha.id,
          businessDate,
          product,
          exceptions: 1,
        });
      }
    }
    await insertReport(dataSource, {
      accountId: bravoMain,
      memberFirmId: bravo.id,
      businessDate: '2026-11-22',
      product: '*',
      exceptions: 0,
    });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  async function graphql(key: string, variables: Record<string, unknown>) {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: QUERY, variables: { first: 20, ...variables } }),
    });
    return (await response.json()) as {
      data?: { backtestResults: Connection } | null;
      errors?: { extensions?: { code?: string; field?: string } }[];
    };
  }

  it("pages the caller's own results, newest date first, within from/to", async () => {
    const first = await graphql(alphaKey, { accountId: alphaMain, first: 4 });
    expect(first.errors).toBeUndefined();
    const page = first.data?.backtestResults as Connection;
    expect(page.edges.map((edge) => edge.node.businessDate)).toEqual([
      '2026-11-22',
      '2026-11-22',
      '2026-11-21',
      '2026-11-21',
    ]);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const second = await graphql(alphaKey, { accountId: alphaMain, first: 4, after: page.pageInfo.endCursor });
    const rest = second.data?.backtestResults as Connection;
    expect(rest.edges.map((edge) => edge.node.businessDate)).toEqual(['2026-11-20', '2026-11-20']);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const ids = [...page.edges, ...rest.edges].map((edge) => edge.node.id);
    expect(new Set(ids).size).toBe(6);

    const window = await graphql(alphaKey, { accountId: alphaMain, from: '2026-11-21', to: '2026-11-21' });
    const windowed = window.data?.backtestResults as Connection;
    expect(windowed.edges.map((edge) => [edge.node.businessDate, edge.node.product]).sort()).toEqual([
      ['2026-11-21', '*'],
      ['2026-11-21', 'BTC-USD'],
    ]);
    expect(windowed.edges[0]?.node).toMatchObject({ accountId: alphaMain, exceptionCount: 1, trafficLight: 'YELLOW' });
  });

  it("answers another firm's account exactly like a missing one", async () => {
    const foreign = await graphql(alphaKey, { accountId: bravoMain });
    const missing = await graphql(alphaKey, { accountId: randomUUID() });
    const malformed = await graphql(alphaKey, { accountId: 'not-an-id' });
    const empty = { data: { backtestResults: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } } } };
    expect(foreign).toEqual(empty);
    expect(missing).toEqual(empty);
    expect(malformed).toEqual(empty);
    // The owner sees its row.
    const own = await graphql(bravoKey, { accountId: bravoMain });
    expect(own.data?.backtestResults.edges).toHaveLength(1);
  });

  it('refuses bad dates, foreign cursors and non-member keys with typed codes', async () => {
    const badDate = await graphql(alphaKey, { accountId: alphaMain, from: '2026-02-30' });
    expect(badDate.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
    const reversed = await graphql(alphaKey, { accountId: alphaMain, from: '2026-11-22', to: '2026-11-20' });
    expect(reversed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const cursor = await graphql(alphaKey, {
      accountId: alphaMain,
      after: Buffer.from('account:x').toString('base64url'),
    });
    expect(cursor.errors?.[0]?.extensions?.code).toBe('INVALID_CURSOR');
    const tooMany = await graphql(alphaKey, { accountId: alphaMain, first: 101 });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const venue = await graphql(venueKey, { accountId: alphaMain });
    expect(venue.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

async function insertReport(
  dataSource: DataSource,
  row: { accountId: string; memberFirmId: string; businessDate: string; product: string; exceptions: number },
): Promise<void> {
  await dataSource.manager.insert(BacktestReportEntity, {
    businessDate: row.businessDate,
    accountId: row.accountId,
    memberFirmId: row.memberFirmId,
    product: row.product,
    marginAsset: 'USDC',
    lookbackDays: 20,
    confidence: 0.99,
    observationCount: 20,
    exceptionCount: row.exceptions,
    coverageRatio: (20 - row.exceptions) / 20,
    kupiecLikelihoodRatio: 0.5,
    kupiecPValue: 0.48,
    christoffersenIndependenceLikelihoodRatio: 0.1,
    christoffersenIndependencePValue: 0.75,
    christoffersenConditionalCoverageLikelihoodRatio: 0.6,
    christoffersenConditionalCoveragePValue: 0.74,
    trafficLight: row.exceptions === 0 ? 'green' : 'yellow',
    trafficLightCumulativeProbability: 0.98,
    observations: [],
    inputsHash: '0'.repeat(64),
    runBy: 'e2e',
    replacedAt: null,
  });
}
