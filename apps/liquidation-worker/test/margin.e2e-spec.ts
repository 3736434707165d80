import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import { dataSourceOptions } from '@novation/persistence';
import { createTestDatabase, deleteQueueKeys, testConfig, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { createWorkerApp } from '../src/worker.app.js';
import { T0, setUpMarginMarket, type MarginMarket } from './margin-market.js';

const WAIT_MS = 20_000;

describe('the booted worker re-margins after a price move on its own', () => {
  let database: TestDatabase;
  let config: NovationConfig;
  let app: NestFastifyApplication;
  let baseUrl: string;
  let dataSource: DataSource;
  let market: MarginMarket;

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({ DATABASE_URL: database.url });
    // The real app, default timers: the dispatcher polls the outbox every 200 ms.
    app = await createWorkerApp(config);
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    dataSource = new DataSource({
      ...dataSourceOptions({
        database: { url: database.url, poolSizeMax: 4, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
      }),
      logging: false,
    });
    await dataSource.initialize();
    market = await setUpMarginMarket(dataSource);
  });

  afterAll(async () => {
    await app?.close();
    await dataSource?.destroy();
    await database?.drop();
    if (config) await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
  });

  it('margins the BTC accounts, opens the margin call and reports it on /metrics', async () => {
    const checks = await market.publishBtcMove('99000', T0 + 60_000);
    expect(checks.accountCount).toBe(3);
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const [row] = (await dataSource.query(`SELECT status FROM outbox_event WHERE id = $1`, [checks.eventIds[0]])) as {
        status: string;
      }[];
      if (row?.status === 'done') break;
      if (Date.now() > deadline) throw new Error(`outbox event still ${row?.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const [state] = (await dataSource.query(`SELECT margin_state FROM account WHERE id = $1`, [
      market.deltaAccount,
    ])) as { margin_state: string }[];
    expect(state?.margin_state).toBe('margin_call');
    const [receipts] = (await dataSource.query(
      `SELECT count(DISTINCT account_id)::int AS accounts FROM margin_receipt`,
    )) as { accounts: number }[];
    expect(receipts?.accounts).toBe(3);

    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/novation_margin_accounts_remargined_total 3/);
    expect(metrics).toMatch(/novation_margin_state_changes_total\{from="healthy",to="margin_call"\} 1/);
    expect(metrics).toMatch(/novation_outbox_events_open\{status="pending"\} 0/);
  });
});
