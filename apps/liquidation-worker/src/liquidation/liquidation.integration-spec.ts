import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import {
  LiquidationJobName,
  QueueName,
  liquidationJobId,
  liquidationJobOptions,
  type LiquidationJobData,
  type LiquidationJobResult,
} from '@novation/jobs';
import { Decimal } from '@novation/money';
import {
  AccountEntity,
  InstrumentEntity,
  LiquidationEntity,
  MemberFirmEntity,
  VenueEntity,
  auditInvariants,
  dataSourceOptions,
  ensureDemoParameterSet,
  marginAccount,
  postJournalEntry,
  seedDemoMarket,
} from '@novation/persistence';
import { METRICS_REGISTRY, createFastifyApp } from '@novation/platform';
import { createTestDatabase, deleteQueueKeys, testConfig, type TestDatabase } from '@novation/testing';
import { Queue, type Job } from 'bullmq';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { OutboxDispatcher } from '../outbox/outbox-dispatcher.service.js';
import { WorkerModule } from '../worker.module.js';

const SEED_TIME = new Date('2026-11-25T12:00:00Z');
const WAIT_MS = 30_000;
const POLL_MS = 50;

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

describe.each([true, false])(
  'breaches liquidated through the outbox and real BullMQ (removeOnComplete %s)',
  (removeOnComplete) => {
    let database: TestDatabase;
    let config: NovationConfig;
    let app: NestFastifyApplication;
    let dataSource: DataSource;
    let dispatcher: OutboxDispatcher;
    let queue: Queue<LiquidationJobData, LiquidationJobResult>;
    let venueId: string;
    let custodyId: string;
    let btcPerp: string;
    let long: string;
    let short: string;
    let appClosed = false;

    beforeAll(async () => {
      database = await createTestDatabase();
      config = testConfig({ DATABASE_URL: database.url });
      app = await createFastifyApp(
        WorkerModule.register(config, { timersEnabled: false, liquidationRemoveOnComplete: removeOnComplete }),
      );
      await app.init();
      dataSource = new DataSource({
        ...dataSourceOptions({
          database: { url: database.url, poolSizeMax: 4, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
        }),
        logging: false,
      });
      await dataSource.initialize();
      await seedDemoMarket(dataSource, SEED_TIME);
      await dataSource.transaction((manager) => ensureDemoParameterSet(manager, SEED_TIME.getTime()));
      // No penalty (the numbers stay round), half of each position per slice, a short cool-down.
      await dataSource.query(`UPDATE risk_parameter_set SET body = jsonb_set(body, '{liquidation}', $1::jsonb)`, [
        JSON.stringify({
          penaltyFraction: '0',
          maxSliceFraction: '0.5',
          coolDownMs: 100,
          deficitMode: 'default-waterfall',
        }),
      ]);
      venueId = (await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' })).id;
      custodyId = (await dataSource.manager.findOneByOrFail(AccountEntity, { houseRole: 'custody' })).id;
      btcPerp = (await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'BTC-PERP' })).id;
      dispatcher = app.get(OutboxDispatcher);
      queue = new Queue(QueueName.Liquidation, {
        connection: { url: config.redis.url },
        prefix: config.redis.queuePrefix,
      });
      long = await fundedAccount('LONG', '12000');
      short = await fundedAccount('SHORT', '100000');
      await openPositions(long, short, btcPerp, '5', '100000');
    });

    afterEach(async () => {
      expect(await auditInvariants(dataSource)).toEqual([]);
    });

    afterAll(async () => {
      await queue?.close();
      if (!appClosed) await app?.close();
      await dataSource?.destroy();
      await database?.drop();
      if (config) await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
    });

    async function fundedAccount(code: string, usdc: string): Promise<string> {
      const firm = await dataSource.manager.save(MemberFirmEntity, { code, name: code });
      const account = await dataSource.manager.save(AccountEntity, {
        memberFirmId: firm.id,
        code: 'main',
        kind: 'cross',
        houseRole: null,
        settlementAsset: 'USDC',
        isolatedInstrumentId: null,
      });
      await dataSource.transaction((manager) =>
        postJournalEntry(manager, {
          idempotencyKey: `test:fund:${account.id}`,
          kind: 'deposit',
          description: 'test funding',
          postings: [
            { accountId: account.id, asset: 'USDC', amount: new Decimal(usdc) },
            { accountId: custodyId, asset: 'USDC', amount: new Decimal(usdc).negated() },
          ],
        }),
      );
      return account.id;
    }

    async function openPositions(buyer: string, seller: string, instrumentId: string, quantity: string, price: string) {
      const [trade] = (await dataSource.query(
        `INSERT INTO trade (venue_id, venue_trade_id, instrument_id, buyer_account_id, seller_account_id, quantity,
                            price, buyer_fee, seller_fee, executed_at, payload_hash)
         VALUES ($1, gen_random_uuid()::text, $2, $3, $4, $5, $6, 0, 0, $7, repeat('0', 64)) RETURNING id`,
        [venueId, instrumentId, buyer, seller, quantity, price, new Date(Date.now() - 3_600_000)],
      )) as { id: string }[];
      for (const [accountId, signed] of [
        [buyer, quantity],
        [seller, `-${quantity}`],
      ] as const) {
        await dataSource.query(
          `INSERT INTO position (account_id, instrument_id, quantity, average_entry_price, last_trade_id)
           VALUES ($1, $2, $3, $4, $5)`,
          [accountId, instrumentId, signed, price, trade?.id],
        );
      }
    }

    /** Index and mark observed `agoMs` before now: the worker margins at its own clock. */
    async function mark(price: string, agoMs: number): Promise<void> {
      await dataSource.query(
        `INSERT INTO index_price (underlying, price, observed_at, source) VALUES ('BTC-USD', $1, $2, 'test')`,
        [price, new Date(Date.now() - agoMs)],
      );
      await dataSource.query(
        `INSERT INTO mark_price (instrument_id, price, observed_at, source) VALUES ($1, $2, $3, 'test')`,
        [btcPerp, price, new Date(Date.now() - agoMs)],
      );
    }

    async function position(accountId: string): Promise<string> {
      const rows: { quantity: string }[] = await dataSource.query(
        `SELECT quantity::text AS quantity FROM position WHERE account_id = $1 AND instrument_id = $2`,
        [accountId, btcPerp],
      );
      return new Decimal(rows[0]?.quantity ?? '0').toFixed();
    }

    async function outboxStatus(liquidationId: string): Promise<string> {
      const rows: { status: string }[] = await dataSource.query(
        `SELECT status FROM outbox_event WHERE dedupe_key = $1`,
        [`liquidation-${liquidationId}`],
      );
      return rows[0]?.status ?? 'missing';
    }

    async function stepCount(liquidationId: string): Promise<number> {
      const [row] = (await dataSource.query(
        `SELECT count(*)::int AS count FROM liquidation_step WHERE liquidation_id = $1`,
        [liquidationId],
      )) as { count: number }[];
      return row?.count ?? 0;
    }

    /** Breaches the account, dispatches its outbox event and waits until the liquidation's event is done. */
    async function breachAndLiquidate(): Promise<LiquidationEntity> {
      const outcome = await marginAccount(dataSource, long, Date.now());
      expect(outcome.newState).toBe('liquidating');
      const liquidation = await dataSource.manager.findOneOrFail(LiquidationEntity, {
        where: { accountId: long, status: 'pending' },
      });
      expect(await dispatcher.dispatchOnce()).toBe(1);
      await waitFor(
        'outbox event',
        () => outboxStatus(liquidation.id),
        (status) => status === 'done',
      );
      return dataSource.manager.findOneByOrFail(LiquidationEntity, { id: liquidation.id });
    }

    async function retainedJob(liquidationId: string, accountId = long): Promise<Job | undefined> {
      return queue.getJob(liquidationJobId(accountId, liquidationId));
    }

    let first: LiquidationEntity;
    let second: LiquidationEntity;

    it('liquidates a breach in slices, honouring the cool-down, to a healthy account', async () => {
      // Equity 12,000 - 7,500 = 4,500 < MM 4,925. Slice 1: 2.5 (half); equity still 4,500 < IM 4,925.
      // Slice 2: 425 / 1,970 -> 0.216; then IM 2% x 2.284 x 98,500 = 4,499.48 <= 4,500: the final step.
      await mark('98500', 120_000);
      first = await breachAndLiquidate();
      expect(first.status).toBe('completed');
      expect(await stepCount(first.id)).toBe(3);
      expect(await position(long)).toBe('2.284');
      const account = await dataSource.manager.findOneByOrFail(AccountEntity, { id: long });
      expect(account.marginState).toBe('healthy');
      const job = await retainedJob(first.id);
      if (removeOnComplete) {
        expect(job).toBeUndefined();
      } else {
        expect(await job?.getState()).toBe('completed');
        expect(job?.returnvalue).toEqual({ liquidationId: first.id, status: 'completed', finalStepNumber: 3 });
      }
    });

    it('liquidates a second breach of the same account as a new job', async () => {
      // Mark 97,000: equity 12,000 - 4,074 - 2.284 x 3,000 = 1,074 < MM 2,215.48. Slices 1.142, 0.571, then
      // 33.74 / 1,940 -> 0.018: 0.553 left, IM 1,072.82 <= 1,074.
      await mark('97000', 60_000);
      second = await breachAndLiquidate();
      expect(second.id).not.toBe(first.id);
      expect(second.status).toBe('completed');
      expect(await stepCount(second.id)).toBe(4);
      expect(await position(long)).toBe('0.553');
      expect(await stepCount(first.id)).toBe(3);
      if (!removeOnComplete) {
        expect(await (await retainedJob(first.id))?.getState()).toBe('completed');
        expect(await (await retainedJob(second.id))?.getState()).toBe('completed');
      }
    });

    it('a redelivered job is a no-op that still ends completed', async () => {
      const data: LiquidationJobData = { outboxEventId: '1', liquidationId: first.id, accountId: long };
      const options = liquidationJobOptions({ liquidationId: first.id, accountId: long }, { removeOnComplete: false });
      if (!removeOnComplete) {
        // The same job id while the completed job is retained: BullMQ drops the add.
        const again = await queue.add(LiquidationJobName.Execute, data, options);
        expect(again.id).toBe(liquidationJobId(long, first.id));
        expect(await again.getState()).toBe('completed');
      }
      const replay = await queue.add(LiquidationJobName.Execute, data, { ...options, jobId: `replay-${first.id}` });
      await waitFor(
        'replay',
        () => replay.getState(),
        (state) => state === 'completed',
      );
      const finished = await queue.getJob(`replay-${first.id}`);
      expect(finished?.returnvalue).toEqual({ liquidationId: first.id, status: 'finished', finalStepNumber: null });
      expect(await stepCount(first.id)).toBe(3);
      expect(await position(long)).toBe('0.553');
    });

    it('a job that keeps failing lands in the failed state after its bounded attempts', async () => {
      // A liquidation of an account holding an instrument with no mark: every step fails (MISSING_MARKET_DATA).
      const future = await dataSource.manager.findOneByOrFail(InstrumentEntity, { kind: 'future' });
      const stuck = await fundedAccount('STUCK', '1000');
      await openPositions(stuck, short, future.id, '1', '100000');
      await dataSource.query(`UPDATE account SET margin_state = 'liquidating' WHERE id = $1`, [stuck]);
      const [receipt] = (await dataSource.query(`SELECT id::text AS id FROM margin_receipt LIMIT 1`)) as {
        id: string;
      }[];
      const [row] = (await dataSource.query(
        `INSERT INTO liquidation (account_id, trigger_receipt_id) VALUES ($1, $2) RETURNING id`,
        [stuck, receipt?.id],
      )) as { id: string }[];
      const liquidationId = row?.id as string;
      const job = await queue.add(
        LiquidationJobName.Execute,
        { outboxEventId: '1', liquidationId, accountId: stuck },
        {
          ...liquidationJobOptions({ liquidationId, accountId: stuck }),
          attempts: 2,
          backoff: { type: 'fixed', delay: 10 },
        },
      );
      await waitFor(
        'failing job',
        () => job.getState(),
        (state) => state === 'failed',
      );
      const failed = await queue.getJob(job.id as string);
      expect(failed?.attemptsMade).toBe(2);
      expect(failed?.failedReason).toMatch(/MISSING_MARKET_DATA/);
      expect(await stepCount(liquidationId)).toBe(0);

      // An unknown liquidation fails at once, without retries.
      const unknown = '00000000-0000-4000-8000-000000000000';
      const lost = await queue.add(
        LiquidationJobName.Execute,
        { outboxEventId: '1', liquidationId: unknown, accountId: stuck },
        liquidationJobOptions({ liquidationId: unknown, accountId: stuck }),
      );
      await waitFor(
        'unknown liquidation',
        () => lost.getState(),
        (state) => state === 'failed',
      );
      expect((await queue.getJob(lost.id as string))?.attemptsMade).toBe(1);
    });

    /** A new account long 1 BTC-PERP from the current mark 97,000 with `usdc`: below MM 970 under 970. */
    async function thinAccount(code: string, usdc: string): Promise<string> {
      const accountId = await fundedAccount(code, usdc);
      await openPositions(accountId, await fundedAccount(`${code}SHORT`, '100000'), btcPerp, '1', '97000');
      return accountId;
    }

    async function breachOf(accountId: string): Promise<string> {
      expect((await marginAccount(dataSource, accountId, Date.now())).newState).toBe('liquidating');
      const liquidation = await dataSource.manager.findOneByOrFail(LiquidationEntity, { accountId });
      return liquidation.id;
    }

    it('loses no breach when its job vanishes from Redis: the reconciler dispatches it again', async () => {
      // Equity 900 < MM 970. Slices 0.5 (half), then 70 / 1,940 -> 0.037: 0.463 left, IM 898.22 <= 900.
      const thin = await thinAccount('THIN', '900');
      await queue.pause(); // a paused queue hands no job to the worker; deleting the keys deletes the pause
      const liquidationId = await breachOf(thin);
      expect(await dispatcher.dispatchOnce()).toBe(1);
      expect(await outboxStatus(liquidationId)).toBe('enqueued');
      await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
      expect(await dispatcher.reconcileOnce(Date.now() - 60_000)).toMatchObject({ requeued: 0 });
      expect(await dispatcher.reconcileOnce(Date.now() + 60_000)).toMatchObject({ requeued: 1 });
      expect(await outboxStatus(liquidationId)).toBe('pending');
      expect(await dispatcher.dispatchOnce()).toBe(1);
      await waitFor(
        'outbox event',
        () => outboxStatus(liquidationId),
        (status) => status === 'done',
      );
      expect(await position(thin)).toBe('0.463');
      expect(await stepCount(liquidationId)).toBe(3);
      const [row] = (await dataSource.query(`SELECT attempts FROM outbox_event WHERE dedupe_key = $1`, [
        `liquidation-${liquidationId}`,
      ])) as { attempts: number }[];
      expect(row?.attempts).toBe(2);
    });

    it('serves the liquidation metrics', async () => {
      const metrics = await app.get<Registry>(METRICS_REGISTRY).metrics();
      expect(metrics).toMatch(/novation_liquidation_steps_total\{status="slice"\} [1-9]/);
      expect(metrics).toMatch(/novation_liquidation_jobs_processed_total\{outcome="completed"\} [1-9]/);
    });

    it('drains on close: a liquidation running when the app closes still ends and marks its event done', async () => {
      // No cool-down: every step runs in the job's first run, which the close waits for.
      await dataSource.query(`UPDATE risk_parameter_set SET body = jsonb_set(body, '{liquidation,coolDownMs}', '0')`);
      const drained = await thinAccount('DRAIN', '900');
      const liquidationId = await breachOf(drained);
      expect(await dispatcher.dispatchOnce()).toBe(1);
      const job = await waitFor(
        'drained job',
        () => retainedJob(liquidationId, drained),
        (found) => found !== undefined,
      );
      await waitFor(
        'drained job start',
        () => job?.getState() ?? Promise.resolve('missing'),
        (state) => ['active', 'completed'].includes(state) || state === 'missing',
      );
      appClosed = true;
      await app.close();
      expect(await outboxStatus(liquidationId)).toBe('done');
      expect(await position(drained)).toBe('0.463');
    });
  },
);
